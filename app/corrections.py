"""Corrections: saving the form as revisions, unsaved edits, the history and restoring.

No Gradio here; a refusal is an InvalidInput naming the problem.
"""

from __future__ import annotations

from annotate.errors import InvalidInput
from annotate.records import Edit, RevisionRecord
from annotate.validate import clean_interval
from app.items import ensure_item
from app.labels import item_label
from app.services import Studio
from app.state import Session, as_shown, from_result, from_revision, from_truth, is_blank


def save(
    studio: Studio, session: Session, who: str, form: Edit, status: str
) -> tuple[Session, RevisionRecord]:
    """Save the form as a new revision (draft or submitted) of who's correction; the store
    validates it (an impossible interval is refused before an upload's item is made)."""
    clean_interval(form.interval)
    session = ensure_item(studio, session)
    revision = studio.store.save_correction(
        session.item_id, who, form, status=status, run_id=session.run_id
    )
    return session, revision


def edited(session: Session, form: Edit | None) -> bool:
    """True when `form` (the fields as the annotator left them) holds edits the page did not
    put there, and is not blank."""
    return form is not None and not is_blank(form) and as_shown(form) != session.shown


def run_fills(session: Session, form: Edit | None) -> bool:
    """True when a finished run may put its answer in the form: the form is blank or shows
    the model's previous answer. Typed edits, a pre-filled ground truth and one's own revision
    stay; the model's answer sits beside them until Take the model's answer."""
    if form is None or is_blank(form):
        return True
    return session.result is not None and as_shown(form) == as_shown(from_result(session.result))


def keep_edits(studio: Studio, session: Session, who: str | None, form: Edit | None) -> str:
    """Before the form is replaced: save unsaved edits as a draft; the note saying so.

    A refusal (no name, an impossible interval) is an InvalidInput naming the problem, so the
    caller stays on the item with the edits as typed.
    """
    if (session.item_id is None and session.video is None) or not edited(session, form):
        return ""
    where = item_name(studio, session.item_id) if session.item_id is not None else "this video"
    if not who:
        raise InvalidInput(f"your edits on {where} are unsaved: enter your name to keep them")
    with studio.keeping:  # one check-then-save at a time: two at once would both save
        known = session.item_id is not None
        current = studio.store.current(session.item_id, who) if known else None
        if current is not None and current.status == "draft" and _same(current, form):
            # Already kept: the dropdown reports one pick twice, both with the old page's fields.
            return f"Your edits on {where} are in draft revision {current.number}. "
        try:
            session, revision = save(studio, session, who, form, "draft")
        except InvalidInput as error:
            raise InvalidInput(
                f"your edits on {where} are not saved ({error}): fix them, or press Discard edits"
            ) from None
    where = item_name(studio, session.item_id)
    return f"Your edits on {where} were saved as draft revision {revision.number}. "


def _same(revision: RevisionRecord, form: Edit) -> bool:
    return as_shown(from_revision(revision)) == as_shown(form)


def item_name(studio: Studio, item_id: int) -> str:
    """An item as messages name it: its video and task, never the store's id."""
    return item_label(studio.store.get_item(item_id))


def current_form(studio: Studio, session: Session, who: str | None) -> Edit | None:
    """Who's current revision of the item as a form, or None when they have none."""
    if not who or session.item_id is None:
        return None
    revision = studio.store.current(session.item_id, who)
    return from_revision(revision) if revision else None


def initial_form(studio: Studio, session: Session, who: str | None) -> Edit:
    """What the correction fields start from: own revision, else truth, else the model."""
    form = current_form(studio, session, who)
    if form is not None:
        return form
    if session.truth.known:
        return from_truth(session.truth, session.task)
    return from_result(session.result) if session.result else Edit()


def history(studio: Studio, session: Session, who: str | None) -> list[RevisionRecord]:
    """Every revision of who's correction of the current item, newest first."""
    if not who or session.item_id is None:
        return []
    return list(reversed(studio.store.history(session.item_id, who)))


def restore(studio: Studio, session: Session, who: str, number: int) -> RevisionRecord:
    """Make revision `number` of who's correction current again (as a new draft)."""
    revisions = {r.number: r for r in history(studio, session, who)}
    if number not in revisions:
        raise InvalidInput(f"your correction of this item has no revision {number}")
    return studio.store.restore(revisions[number].id, by=who)


def restore_warning(studio: Studio, session: Session, who: str, number: int) -> str | None:
    """What restoring revision `number` would undo that the annotator may not expect: a
    submission waiting for review leaves the queue (the restored revision is a draft)."""
    current = studio.store.current(session.item_id, who) if session.item_id is not None else None
    if current is None or current.status != "submitted" or current.number == number:
        return None
    return (
        f"Revision {current.number} is submitted and waiting for review. Restoring revision "
        f"{number} makes a draft and takes the submission out of the review queue: press "
        "Restore again to do it."
    )
