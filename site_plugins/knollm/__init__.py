"""The Knollm MkDocs plugin: compiles the catalog and adds its pages to the build in memory."""
