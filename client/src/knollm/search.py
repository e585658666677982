"""Fuzzy model search, with the same text rules as the site's explorer: ``llama 70b``, ``gpt4o``.

Text is normalised the one way both implementations share (``tests/parity/search_cases.json``):
lower-cased, accents stripped (NFKD, then U+0300-U+036F removed), every run of characters other than ASCII letters and digits a
separator. Tokens are the runs of letters and the runs of digits of that (``gpt-4o`` and ``gpt4o``
both give ``gpt 4 o``). Every query token must match a token of the model (its id, name, creator,
family, hosting provider ids or API ids): exactly (best), as a prefix, or as a substring (worst;
tokens of three characters or more); the model's own words count more than its hosts'. A typed word
with separators inside (``3.3``, ``gpt-4o``) must also appear joined (``33``, ``gpt4o``) in the
model's ids or names with their separators removed, so ``llama 3.3 70b`` does not list Llama 3.1.
Models rank by match quality, then by number of hosts; a query naming a model or API id in full
comes first.

An inverted index over the token vocabulary keeps a search well under a millisecond. The client
index ships it prebuilt (``knollm_build/client_index.py`` tokenises the same way; a test compares
the two), so a command does not spend ~100 ms building it; a catalog read from ``models.json``
builds its own on first search.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate
from typing import Any

from knollm.records import Model, Offering

_TOKEN = re.compile(r"[a-z]+|[0-9]+")
_NOT_TOKEN = re.compile(r"[^a-z0-9]+")
_INNER_SEPARATOR = re.compile(r"[a-z0-9][^a-z0-9]+[a-z0-9]")


_DIACRITICS = re.compile("[\u0300-\u036f]")


def fold(text: str) -> str:
    """Lower-cased, NFKD-decomposed, combining diacritical marks (U+0300-U+036F) removed:
    ``Médium`` -> ``medium``; other non-ASCII characters stay (and separate tokens)."""
    text = text.lower()
    if text.isascii():
        return text
    return _DIACRITICS.sub("", unicodedata.normalize("NFKD", text))


def normalise(text: str) -> str:
    """Folded text, separators as single spaces: ``GPT-4o (Médium)`` -> ``gpt 4o medium``."""
    return _NOT_TOKEN.sub(" ", fold(text)).strip()


def tokens(text: str) -> list[str]:
    """Runs of letters and of digits of the folded text: ``Llama-3.3-70B`` -> ``llama 3 3 70 b``."""
    return _TOKEN.findall(fold(text))


def joined_phrases(query: str) -> list[str]:
    """The words of ``query`` (split at spaces and ``/``) with separators inside, joined:
    ``llama 3.3 70b`` -> ``33``; ``openai/gpt-4o`` -> ``gpt4o``."""
    out = []
    for word in fold(query).split():
        for part in word.split("/"):
            if _INNER_SEPARATOR.search(part):
                out.append(_NOT_TOKEN.sub("", part))
    return out


WHOLE = 100
MAX_WHOLE_CHECKS = 300


def compact(text: str) -> str:
    """Text with everything but letters and digits removed, for whole-id comparisons."""
    return _NOT_TOKEN.sub("", fold(text))


def squashed(text: str) -> list[str]:
    """Each ``/`` segment of ``text`` without separators: ``meta/llama-3.3`` -> meta, llama33."""
    return [compact(part) for part in text.split("/")]


class _Postings(dict[str, set[int]]):
    """Token -> model positions, read from the prebuilt flat lists on first use of each token."""

    __slots__ = ("_flat", "_offsets", "_vocab")

    def __init__(self, vocab: list[str], offsets: list[int], flat: list[int]) -> None:
        super().__init__()
        self._vocab, self._offsets, self._flat = vocab, offsets, flat

    def _slot(self, token: str) -> int:
        """The token's place in the sorted vocabulary, -1 when it is not there."""
        k = bisect_left(self._vocab, token)
        return k if k < len(self._vocab) and self._vocab[k] == token else -1

    def __missing__(self, token: str) -> set[int]:
        k = self._slot(token)
        if k < 0:
            raise KeyError(token)
        found = self[token] = set(self._flat[self._offsets[k] : self._offsets[k + 1]])
        return found

    def get(self, token: str, default: Any = None) -> Any:
        if token in self:
            return dict.__getitem__(self, token)
        return self[token] if self._slot(token) >= 0 else default


class _Table:
    """Token -> model positions, with a sorted vocabulary for prefix and substring lookups."""

    __slots__ = ("_starts", "joined", "postings", "vocab")

    def __init__(
        self, postings: dict[str, set[int]] | None = None, prebuilt: dict[str, Any] | None = None
    ) -> None:
        self.postings: dict[str, set[int]]
        if prebuilt is not None:
            self.joined = prebuilt["vocab"]
            self.vocab = self.joined.split("\n") if self.joined else []
            self.postings = _Postings(self.vocab, prebuilt["offsets"], prebuilt["postings"])
        else:
            self.postings = postings or {}
            self.vocab = sorted(self.postings)
            self.joined = "\n".join(self.vocab)
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        """Where each token starts in ``joined`` (maps substring hits back to tokens); built on
        the first substring lookup."""
        if self._starts is None:
            self._starts = list(accumulate(map((1).__add__, map(len, self.vocab)), initial=0))
        return self._starts

    def substring(self, token: str) -> list[set[int]]:
        """Postings of vocabulary tokens containing ``token`` elsewhere than at their start."""
        seen: set[str] = set()
        out = []
        for hit in re.finditer(re.escape(token), self.joined):
            vocab_token = self.vocab[bisect_left(self.starts, hit.start() + 1) - 1]
            if vocab_token not in seen and not vocab_token.startswith(token):
                seen.add(vocab_token)
                out.append(self.postings[vocab_token])
        return out

    def prefix(self, token: str) -> list[set[int]]:
        """Postings of longer vocabulary tokens starting with ``token``."""
        lo = bisect_left(self.vocab, token)
        hi = bisect_left(self.vocab, token + "\x7f", lo)
        return [self.postings[t] for t in self.vocab[lo:hi] if t != token]


class SearchIndex:
    """Two token tables: the model's own words (id, name, creator, family) and, weighted lower,
    the words only its hosts add (provider ids, API ids such as ``llama-3.3-70b-versatile``)."""

    __slots__ = (
        "_extra", "_forms", "_hosted", "_hosts", "_models", "_offerings_of", "_own", "_squashed",
    )  # fmt: skip

    def __init__(
        self,
        models: Sequence[Model],
        offerings: Iterable[Offering],
        prebuilt: dict[str, Any] | None = None,
        offerings_of: Callable[[str], Sequence[Offering]] | None = None,
    ) -> None:
        """``prebuilt``: the client index's ``search`` tables (``own`` and ``hosted``, each
        ``vocab``, ``offsets``, ``postings``), which must come from these very models; with it
        and ``offerings_of`` (model id -> its offerings), nothing is scanned up front."""
        self._models = models
        self._forms: dict[int, set[str]] = {}
        self._squashed: dict[int, str] = {}
        self._hosts = [m.hosts for m in models]
        self._offerings_of = offerings_of
        self._extra: list[list[str] | None] = [None] * len(models)
        if prebuilt is None or offerings_of is None:
            model_pos = {m.id: pos for pos, m in enumerate(models)}
            extra: list[list[str] | None] = [[] for _ in models]
            for o in offerings:
                pos = model_pos.get(o.model)
                if pos is not None:
                    extra[pos] += (o.provider, o.provider_model_id)  # type: ignore[operator]
            self._extra = extra
        if prebuilt is not None:
            self._own = _Table(prebuilt=prebuilt["own"])
            self._hosted = _Table(prebuilt=prebuilt["hosted"])
            return
        own: defaultdict[str, set[int]] = defaultdict(set)
        hosted: defaultdict[str, set[int]] = defaultdict(set)
        for pos, m in enumerate(models):
            words = set(tokens(f"{m.id} {m.name} {m.creator or ''} {m.family or ''}"))
            for token in words:
                own[token].add(pos)
            for token in set(tokens(" ".join(self._hosted_words(pos)))) - words:
                hosted[token].add(pos)
        self._own = _Table(dict(own))
        self._hosted = _Table(dict(hosted))

    def _hosted_words(self, pos: int) -> list[str]:
        """Provider id and API id of each offering of the model at ``pos``, alternating."""
        found = self._extra[pos]
        if found is None:
            assert self._offerings_of is not None
            offerings = self._offerings_of(self._models[pos].id)
            found = self._extra[pos] = [
                w for o in offerings for w in (o.provider, o.provider_model_id)
            ]
        return found

    def postings(self) -> dict[str, dict[str, list[int]]]:
        """Both tables as token -> sorted positions (to compare with a prebuilt index)."""
        return {
            name: {token: sorted(table.postings[token]) for token in table.vocab}
            for name, table in (("own", self._own), ("hosted", self._hosted))
        }

    def _matches(self, token: str) -> dict[int, int]:
        """Model position -> best match quality for one query token.

        Qualities, applied lowest first so the best wins: a host's word as substring 1, prefix 2,
        exact 3; the model's own word as substring 3, prefix 4, exact 6.
        """
        own, hosted = self._own, self._hosted
        layers: list[tuple[int, list[set[int]]]] = []
        if len(token) >= 3:
            layers.append((1, hosted.substring(token)))
        if len(token) >= 2:
            layers.append((2, hosted.prefix(token)))
        if len(token) >= 3:
            layers.append((3, own.substring(token)))
        layers.append((3, [hosted.postings.get(token, set())]))
        if len(token) >= 2:
            layers.append((4, own.prefix(token)))
        layers.append((6, [own.postings.get(token, set())]))
        found: dict[int, int] = {}
        for quality, posting_sets in layers:
            for positions in posting_sets:
                found.update(dict.fromkeys(positions, quality))
        return found

    def search(
        self, query: str, allowed: set[int] | None = None, limit: int | None = None
    ) -> list[tuple[int, int]]:
        """Matching model positions with their scores, best first (score, then hosts, then order).

        ``allowed`` restricts the result to those positions (the other filters' outcome).
        """
        query_tokens = list(dict.fromkeys(tokens(query)))
        if not query_tokens:
            return []
        per_token = sorted((self._matches(t) for t in query_tokens), key=len)
        scores = dict(per_token[0])
        if allowed is not None:
            scores = {pos: s for pos, s in scores.items() if pos in allowed}
        for found in per_token[1:]:
            scores = {pos: s + found[pos] for pos, s in scores.items() if pos in found}
            if not scores:
                return []
        phrases = joined_phrases(query)
        if phrases:
            scores = {
                pos: s
                for pos, s in scores.items()
                if all(p in self._squashed_text(pos) for p in phrases)
            }
        if not scores:
            return []
        self._whole_bonus(query, scores)
        hosts = self._hosts
        ranked = ((-score, -hosts[pos], pos) for pos, score in scores.items())
        best = sorted(ranked) if limit is None else heapq.nsmallest(limit, ranked)
        return [(pos, -neg_score) for neg_score, _, pos in best]

    def _squashed_text(self, pos: int) -> str:
        """The model's id, name and API ids, each ``/`` segment without separators."""
        text = self._squashed.get(pos)
        if text is None:
            m = self._models[pos]
            words = [*squashed(m.id), *squashed(m.name)]
            for api_id in self._hosted_words(pos)[1::2]:
                words += squashed(api_id)
            text = self._squashed[pos] = " ".join(words)
        return text

    def _whole_bonus(self, query: str, scores: dict[int, int]) -> None:
        """Lift the models whose id, name or an API id *is* the query (punctuation aside). Only
        the best-scored candidates can be such, so only they are checked, and only when they are
        few enough for the query to plausibly be an id."""
        top = max(scores.values())
        best = [pos for pos, score in scores.items() if score == top]
        if len(best) > MAX_WHOLE_CHECKS:
            return
        wanted = compact(query)
        forms = self._forms
        for pos in best:
            found = forms.get(pos)
            if found is None:
                m = self._models[pos]
                found = forms[pos] = {compact(m.id), compact(m.name)}.union(
                    map(compact, self._hosted_words(pos)[1::2])
                )
            if wanted in found:
                scores[pos] += WHOLE
