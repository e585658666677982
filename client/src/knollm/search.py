"""Fuzzy model search, tolerant the way the site's explorer is: ``llama 70b``, ``gpt4o``, ``sonnet 4``.

Text is lower-cased and split into runs of letters and runs of digits (``gpt-4o`` and ``gpt4o`` both
become ``gpt 4 o``). Every query token must match a token of the model (its id, name, creator,
family, hosting provider ids or API ids): exactly (best), as a prefix, or as a substring (worst;
tokens of three characters or more); the model's own words count more than its hosts'. Models rank
by match quality, then by number of hosts; a query naming a model or API id in full comes first.
An inverted index over the token vocabulary keeps a search well under a millisecond.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence

from knollm.records import Model, Offering

_TOKEN = re.compile(r"[a-z]+|[0-9]+")


def tokens(text: str) -> list[str]:
    """Lower-cased runs of letters and of digits: ``Llama-3.3-70B`` -> ``llama 3 3 70 b``."""
    return _TOKEN.findall(text.lower())


WHOLE = 100
MAX_WHOLE_CHECKS = 300
_NOT_TOKEN = re.compile(r"[^a-z0-9]+")


def compact(text: str) -> str:
    """Text with everything but letters and digits removed, for whole-id comparisons."""
    return _NOT_TOKEN.sub("", text.lower())


class _Table:
    """Token -> model positions, with a sorted vocabulary for prefix and substring lookups."""

    __slots__ = ("postings", "vocab", "joined", "starts")

    def __init__(self, postings: dict[str, set[int]]) -> None:
        self.postings = postings
        self.vocab = sorted(postings)
        self.joined = "\n".join(self.vocab)
        starts, offset = [], 0
        for token in self.vocab:
            starts.append(offset)
            offset += len(token) + 1
        self.starts = starts

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

    __slots__ = ("_own", "_hosted", "_models", "_extra", "_hosts", "_forms")

    def __init__(self, models: Sequence[Model], offerings: Iterable[Offering]) -> None:
        model_pos = {m.id: pos for pos, m in enumerate(models)}
        extra: list[list[str]] = [[] for _ in models]
        for o in offerings:
            pos = model_pos.get(o.model)
            if pos is not None:
                extra[pos] += (o.provider, o.provider_model_id)
        own: defaultdict[str, set[int]] = defaultdict(set)
        hosted: defaultdict[str, set[int]] = defaultdict(set)
        findall = _TOKEN.findall
        for pos, m in enumerate(models):
            words = set(findall(f"{m.id} {m.name} {m.creator or ''} {m.family or ''}".lower()))
            for token in words:
                own[token].add(pos)
            for token in set(findall(" ".join(extra[pos]).lower())) - words:
                hosted[token].add(pos)
        self._models = models
        self._extra = extra
        self._forms: dict[int, set[str]] = {}
        self._own = _Table(dict(own))
        self._hosted = _Table(dict(hosted))
        self._hosts = [m.hosts for m in models]

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
        if not scores:
            return []
        self._whole_bonus(query, scores)
        hosts = self._hosts
        ranked = ((-score, -hosts[pos], pos) for pos, score in scores.items())
        best = sorted(ranked) if limit is None else heapq.nsmallest(limit, ranked)
        return [(pos, -neg_score) for neg_score, _, pos in best]

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
                    map(compact, self._extra[pos][1::2])
                )
            if wanted in found:
                scores[pos] += WHOLE
