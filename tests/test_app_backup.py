"""A Studio started with --backup gets an empty store back from the latest snapshot."""

from __future__ import annotations

from annotate.backup import LocalTarget, take_snapshot
from annotate.records import Edit
from annotate.store import Store
from app.settings import Settings
from app.ui import build_app


def _settings(tmp_path, db_name: str, backups) -> Settings:
    return Settings(
        db_url=f"sqlite:///{tmp_path / db_name}",
        uploads=str(tmp_path / "uploads"),
        exports=str(tmp_path / "exports"),
        samples="",
        backup=str(backups),
    )


def _saved_correction(db_url: str) -> int:
    store = Store(db_url)
    video = store.add_video("clip.mp4")
    item = store.add_item(video.id, "grounding")
    store.save_correction(item.id, "ada", Edit(answer="Normal", comment="ünïcode ✓"))
    store.close()
    return item.id


def test_an_empty_store_is_restored_from_the_latest_snapshot(tmp_path):
    backups = tmp_path / "backups"
    before = _settings(tmp_path, "before.db", backups)
    item_id = _saved_correction(before.db_url)
    take_snapshot(before.db_url, LocalTarget(backups))

    demo = build_app(_settings(tmp_path, "after.db", backups))
    try:
        history = demo.studio.store.history(item_id, "ada")
        assert [r.comment for r in history] == ["ünïcode ✓"]
    finally:
        demo.backups.stop(final=False)


def test_a_store_with_data_is_never_overwritten_by_a_snapshot(tmp_path):
    backups = tmp_path / "backups"
    settings = _settings(tmp_path, "studio.db", backups)
    item_id = _saved_correction(settings.db_url)
    take_snapshot(settings.db_url, LocalTarget(backups))
    store = Store(settings.db_url)
    store.save_correction(item_id, "ada", Edit(answer="Anomaly", comment="after the snapshot"))
    store.close()

    demo = build_app(settings)
    try:
        history = demo.studio.store.history(item_id, "ada")
        assert history[-1].comment == "after the snapshot"
    finally:
        demo.backups.stop(final=True)
    assert len(list((backups / "snapshots").iterdir())) == 2
