"""The timeline's change counts: for every commit of the demo that changed the lineage, the
summary of `diff BASE..COMMIT` against the base the timeline names; unchanged commits differ
from their base in nothing."""

from __future__ import annotations

from lineage_history.queries import diffs, handle, timeline
from tests.fixtures import IndexedDemo


def test_each_commit_s_counts_are_the_diff_with_its_base(indexed_demo: IndexedDemo) -> None:
    with handle.opened(str(indexed_demo.repo), str(indexed_demo.db)) as opened:
        found = timeline.timeline(opened, "titanic", per_page=1000)
        assert found.total == len(found.entries) > 10
        for entry in found.entries:
            if entry.status != "ok" or entry.base is None:
                continue
            summary = diffs.diff_revisions(opened, f"{entry.base}..{entry.commit.sha}", None, None)
            if entry.changed:
                assert entry.counts == summary.diff.summary(), entry.commit.subject
            else:
                assert summary.diff.is_empty, entry.commit.subject


def test_pages_and_filters(indexed_demo: IndexedDemo) -> None:
    with handle.opened(str(indexed_demo.repo), str(indexed_demo.db)) as opened:
        every = timeline.timeline(opened, None, per_page=1000).entries
        cache: timeline.CountsCache = {}
        pages = [timeline.timeline(opened, None, per_page=5, page=n, cache=cache) for n in (1, 2)]
        assert [e.commit.sha for p in pages for e in p.entries] == [
            e.commit.sha for e in every[:10]
        ]
        assert pages[0].pages == -(-len(every) // 5)
        changed = timeline.timeline(opened, None, changed_only=True, per_page=1000).entries
        assert [e.commit.sha for e in changed] == [e.commit.sha for e in every if e.changed]
        since = timeline.timeline(opened, None, branch="main", since="demo/v1", per_page=1000)
        shas = {e.commit.sha for e in since.entries}
        assert indexed_demo.shas["demo/v1"] not in shas and shas
