"""Build the site with Zensical over the generated pages, beside the MkDocs build: time and differences.

Run with ``make bench-zensical`` (part of ``make bench``, never CI). Zensical, the successor of
MkDocs-Material, builds ``mkdocs.yml`` projects but runs none of their custom plugins, so the
knollm plugin's work is done first by ``knollm-build pages`` into a docs folder, the hand-written
pages of ``src_docs/md`` are copied beside them, and Zensical gets ``src_docs/mkdocs.yml`` with two
changes: ``docs_dir`` is that folder, and ``extra.stats`` holds the figures mkdocs-macros shows
(``pages --stats``). Each build runs once, in a fresh process, into a fresh folder; wall time and
the child's peak RSS (``os.wait4``) are printed, never asserted. Then the two sites are compared:
pages in one and not the other, generated page bodies, hand-written pages whose template syntax
was left unrendered, the CLI and API reference pages, data files, search index and sizes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import yaml

ROOT = Path(__file__).resolve().parents[1]
EPOCH = "1764028800"
_BODY = re.compile(r'<div class="knollm-page.*?</article>', re.DOTALL)
_ARTICLE = re.compile(r"<article.*?</article>", re.DOTALL)
_HREF = re.compile(r'href="([^"#]+)"')
_TEMPLATE = re.compile(r"\{\{|\{%")


class _EnvLoader(yaml.SafeLoader):
    """Reads mkdocs.yml's ``!ENV [NAME, default]`` tags as MkDocs does."""


def _env(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    names = loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode) else [node.value]
    *keys, default = names if len(names) > 1 else [*names, None]
    for key in keys:
        if os.environ.get(key):
            return os.environ[key]
    return default


_EnvLoader.add_constructor("!ENV", _env)


def run(args: list[str], env: dict[str, str], log: Path) -> dict[str, float]:
    """One command in a fresh process: wall seconds and peak RSS (MB); exits on failure."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(args[:3])} failed:\n{log.read_text(errors='replace')[-3000:]}")
    return {"wall": wall, "rss_mb": usage.ru_maxrss / 1024}


def zensical_config(project: Path, stats: Path) -> dict[str, Any]:
    """src_docs/mkdocs.yml for Zensical in ``project`` (which holds ``docs/``), plus the macros' figures.

    Zensical wants docs_dir and site_dir inside the project, the folder of the config file.
    """
    config = yaml.load((ROOT / "src_docs" / "mkdocs.yml").read_text(), Loader=_EnvLoader)
    config["docs_dir"] = "docs"
    config["site_dir"] = "zensical-site"
    config.setdefault("extra", {})["stats"] = orjson.loads(stats.read_bytes())
    for plugin in config["plugins"]:  # paths in mkdocs.yml are relative to src_docs/
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            plugin["mkdocstrings"]["handlers"]["python"]["paths"] = [str(ROOT)]
    return config


def pages(site: Path) -> dict[str, str]:
    """``{url path: html}`` of every page of a built site."""
    return {
        str(p.parent.relative_to(site)): p.read_text(encoding="utf-8", errors="replace")
        for p in site.rglob("index.html")
    }


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _part(pattern: re.Pattern[str], html: str) -> str:
    match = pattern.search(html)
    return match.group(0) if match else ""


def _loose(html: str) -> str:
    """A page body without its link targets and blank space."""
    return re.sub(r"\s+", " ", _HREF.sub('href=""', html)).strip()


def _list(items: list[str], limit: int = 8) -> str:
    return ", ".join(items[:limit]) + (" ..." if len(items) > limit else "") if items else "none"


def compare(mk: Path, zs: Path) -> list[str]:
    """What renders differently: one line per finding."""
    a, b = pages(mk), pages(zs)
    lines = [f"pages: MkDocs {len(a):,}, Zensical {len(b):,}"]
    lines.append(f"  only in MkDocs: {_list(sorted(set(a) - set(b)))}")
    lines.append(f"  only in Zensical: {_list(sorted(set(b) - set(a)))}")
    both = sorted(set(a) & set(b))
    generated = [p for p in both if 'class="knollm-page' in a[p]]
    differ = [p for p in generated if _part(_BODY, a[p]) != _part(_BODY, b[p])]
    loose = [p for p in differ if _loose(_part(_BODY, a[p])) != _loose(_part(_BODY, b[p]))]
    lines.append(
        f"generated pages: {len(generated):,}; page body identical in "
        f"{len(generated) - len(differ):,}, identical but for link targets and blank lines in "
        f"{len(differ) - len(loose):,}; differ otherwise: {_list(loose)}"
    )
    broken = {
        name: broken_links(site, generated) for name, site in (("MkDocs", mk), ("Zensical", zs))
    }
    lines.append(
        f"broken relative links in generated page bodies: MkDocs {len(broken['MkDocs']):,}, "
        f"Zensical {len(broken['Zensical']):,} (e.g. {_list(broken['Zensical'], 3)})"
    )
    hand = [p for p in both if p not in generated]
    raw = {
        name: [p for p in hand if _TEMPLATE.search(_part(_ARTICLE, site[p]))]
        for name, site in (("MkDocs", a), ("Zensical", b))
    }
    lines.append(
        f"hand-written pages: {len(hand)}; template syntax left in the text: "
        f"MkDocs {_list(raw['MkDocs'])}; Zensical {_list(raw['Zensical'])}"
    )
    errors = [p for p in hand if "Macro Rendering Error" in b[p]]
    lines.append(
        f"pages showing a Macro Rendering Error (with a traceback) in Zensical: {_list(errors)}"
    )
    for path, needle, what in (
        ("reference/cli", "<code>--work</code>", "knollm-build options (mkdocs-click)"),
        ("reference/knollm-cli", "<code>--catalog</code>", "knollm options (mkdocs-click)"),
        ("reference/api", 'class="doc doc-heading"', "API reference (mkdocstrings)"),
    ):
        found = ["yes" if needle in site.get(path, "") else "NO" for site in (a, b)]
        lines.append(f"{what}: MkDocs {found[0]}, Zensical {found[1]}")
    figure = re.compile(r"<td>Offerings \(provider × exact API id\)</td>\s*<td>([^<]*)</td>")
    lines.append(
        f"home page's offerings figure (macros): MkDocs {figure.findall(a.get('.', ''))}, "
        f"Zensical {figure.findall(b.get('.', ''))}"
    )
    data = sorted(p.name for p in (mk / "data").iterdir() if p.is_file() and p.suffix != ".html")
    differ = [n for n in data if not _same(mk / "data" / n, zs / "data" / n)]
    lines.append(
        f"data files byte-identical: {len(data) - len(differ)}/{len(data)} (differ: {_list(differ)}); "
        "changes/feed.xml: "
        f"{_same(mk / 'changes' / 'feed.xml', zs / 'changes' / 'feed.xml')}; vendor files: "
        f"{_same_tree(mk / 'assets' / 'vendor', zs / 'assets' / 'vendor')}"
    )
    mk_index, zs_index = mk / "search" / "search_index.json", zs / "search.json"
    mk_docs = orjson.loads(mk_index.read_bytes())["docs"]
    zs_docs = orjson.loads(zs_index.read_bytes())["items"] if zs_index.is_file() else []
    model_hits = sum(1 for d in zs_docs if str(d.get("location", "")).startswith("models/llama"))
    lines.append(
        f"search index: MkDocs {len(mk_docs):,} entries ({mk_index.stat().st_size / 1e6:.1f} MB), "
        f"Zensical {len(zs_docs):,} entries "
        f"({zs_index.stat().st_size / 1e6 if zs_index.is_file() else 0:.1f} MB; "
        f"models/llama* entries {model_hits}: front matter search.exclude honoured when 0)"
    )
    model = next((p for p in generated if p.startswith("models/") and p.count("/") == 1), None)
    if model:
        lines.append(
            f"a model page ({model}): MkDocs {len(a[model]) / 1e3:,.0f} kB, Zensical "
            f"{len(b[model]) / 1e3:,.0f} kB (the plugin gives generated pages the top-level nav)"
        )
    lines.append(
        f"site size: MkDocs {tree_size(mk) / 1e6:,.0f} MB, Zensical {tree_size(zs) / 1e6:,.0f} MB"
    )
    return lines


def broken_links(site: Path, paths: list[str]) -> list[str]:
    """``page -> link`` for every relative link of a generated body that leads to no file."""
    out = []
    for path in paths:
        page = site / path / "index.html"
        for link in _HREF.findall(_part(_BODY, page.read_text(encoding="utf-8"))):
            if "://" in link or link.startswith(("mailto:", "/")):
                continue
            target = (page.parent / link.split("?")[0]).resolve()
            if not (target.is_file() or (target / "index.html").is_file()):
                out.append(f"{path} -> {link}")
    return out


def _same(x: Path, y: Path) -> bool:
    return x.is_file() and y.is_file() and x.read_bytes() == y.read_bytes()


def _same_tree(x: Path, y: Path) -> str:
    names = sorted(p.name for p in x.iterdir()) if x.is_dir() else []
    return f"{sum(_same(x / n, y / n) for n in names)}/{len(names)} identical"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=Path("../shared/work"))
    parser.add_argument(
        "--zensical", type=Path, default=ROOT / ".venv-zensical" / "bin" / "zensical"
    )
    parser.add_argument("--keep", type=Path, help="copy both built sites here for a look")
    args = parser.parse_args()
    work = args.work.resolve()
    if not args.zensical.is_file():
        sys.exit(f"{args.zensical} not found: run `make zensical` first")
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", SOURCE_DATE_EPOCH=EPOCH, KNOLLM_WORK=str(work))
    env.pop("KNOLLM_PREVIOUS", None)
    tmp = Path(tempfile.mkdtemp(prefix="knollm-bench-zensical-"))
    try:
        mk_site, docs, zs_site = tmp / "mkdocs-site", tmp / "docs", tmp / "zensical-site"
        mkdocs = run(
            [
                str(bin_dir / "mkdocs"),
                "build",
                "-q",
                "-f",
                "src_docs/mkdocs.yml",
                "-d",
                str(mk_site),
            ],
            env,
            tmp / "mkdocs.log",
        )
        generate = run(
            [str(bin_dir / "knollm-build"), "pages", str(docs), "--work", str(work)]
            + ["--vendor", "node_modules", "--stats", str(tmp / "stats.json")],
            env,
            tmp / "pages.log",
        )
        shutil.copytree(ROOT / "src_docs" / "md", docs, dirs_exist_ok=True)
        config = tmp / "mkdocs.yml"
        config.write_text(yaml.safe_dump(zensical_config(tmp, tmp / "stats.json")))
        zensical = run(
            [str(args.zensical), "build", "--clean", "-f", str(config)], env, tmp / "zensical.log"
        )
        cached = run([str(args.zensical), "build", "-f", str(config)], env, tmp / "zensical-2.log")
        print("site build: MkDocs + knollm plugin vs knollm-build pages + Zensical (one run each)")
        print(f"{'step':<40}{'wall s':>9}{'RSS MB':>9}")
        for label, r in (
            ("mkdocs build (compile + pages + render)", mkdocs),
            ("knollm-build pages (compile + pages)", generate),
            ("zensical build --clean", zensical),
            ("zensical build (cached, no change)", cached),
        ):
            print(f"{label:<40}{r['wall']:>9.1f}{r['rss_mb']:>9.0f}")
        total = generate["wall"] + zensical["wall"]
        print(f"pages + zensical: {total:.1f} s, x{total / mkdocs['wall']:.2f} MkDocs' time")
        log = (tmp / "zensical.log").read_text(errors="replace").splitlines()
        issues = [
            line for line in log if line.strip() and not line.startswith(("Build ", "No issues"))
        ]
        print(
            f"Zensical's log: {len(issues)} line(s) of warnings/errors" + (": " if issues else "")
        )
        for line in issues[:10]:
            print(f"  {line[:160]}")
        for line in compare(mk_site, zs_site):
            print(line)
        if args.keep:
            for name in ("mkdocs-site", "zensical-site"):
                shutil.copytree(tmp / name, args.keep / name, dirs_exist_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
