"""Framework adapters over :class:`knollm.Router`, each an optional extra.

* ``pip install knollm[langchain]``: :class:`knollm.integrations.langchain.ChatKnollm`, a
  langchain-core chat model;
* ``pip install knollm[llama-index]``: :class:`knollm.integrations.llama_index.KnollmLLM`, a
  llama-index-core LLM.

Both only translate messages, tools and responses; the router does every routing decision.
"""
