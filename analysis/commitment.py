"""A draw nobody can steer: commit to a secret before the meeting, mix in a witness's value at
it, reveal the secret after, and let anyone check the sample.

Why each part is there. The system draws a 256-bit secret when the draw is prepared and
publishes only its commitment (printed on the meeting notice), so the secret cannot be changed
afterwards without the printed commitment failing to match. At the meeting a witness produces a
value (dice rolled, digits read out) that nobody could know when the commitment was printed;
the seed is a hash of both, so neither the system (which knew the secret, not the value) nor
the witness (who knew the value, not the secret) chose the sample. The commitment also covers
the roster's fingerprint and the draw's parameters, so the notice pins the population and the
sample size too. After the draw the secret is published and `check_draw` recomputes everything.

Byte layout, so that anyone can recompute it by hand (for example with `sha256sum` and a hex
editor, or a few lines of any language). Every field is length-prefixed: its length in bytes
as 8 bytes big-endian, then its bytes; the fields are concatenated and hashed with SHA-256.

    commitment = hex( SHA-256( F(b"evalapp draw commitment v1") || F(secret)
                               || F(roster fingerprint, 64 ASCII hex digits)
                               || F(parameters, UTF-8) ) )
    seed       = hex( SHA-256( F(b"evalapp draw seed v1") || F(secret)
                               || F(witness value, normalised: its digits, ASCII) ) )
    F(x)       = len(x) as 8 bytes big-endian || x

`secret` is the 32 raw bytes (published as 64 hex digits). `parameters` is the text
`campaign=<id>;draw=<number>;fraction=<f>;minimum=<m>` or with `total=<n>` in place of the
fraction, `<f>` written as Python writes the float (shortest round trip: 0.3, not
0.299999…). The seed (64 lowercase hex digits) is the seed of `draw_stratified_sample`,
whose ranks are SHA-256 of "seed␟stratum␟member" (␟ = U+001F).

A record also names its kind (`scheme`: COMMITTED, or LEGACY for draws made before
commitments) and lists every earlier draw of its campaign, so that neither erasing a
commitment (to pass a chosen seed off as an old draw's) nor leaving out the draw a redraw
replaced goes unseen by `check_draw`.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass

from analysis.sampling import allocate_proportional, draw_stratified_sample, roster_fingerprint

COMMITMENT_TAG = b"evalapp draw commitment v1"
SEED_TAG = b"evalapp draw seed v1"
SECRET_BYTES = 32
WITNESS_MAX_LENGTH = 200  # digits of the normalised value


def _field(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def _hash(*fields: bytes) -> str:
    return hashlib.sha256(b"".join(map(_field, fields))).hexdigest()


# Marks that make digits a number rather than a list of digits read out: "35172.0" would
# hash 351720 and "35,172" a value nobody read. Refused, never dropped.
NUMBER_MARKS = frozenset(".,。٫٬·'")
# What else may stand between digits and is dropped: whitespace and punctuation (Unicode
# general category P: dashes, 、, ；, /...).
SEPARATOR_CATEGORIES = "P"


class WitnessRefused(ValueError):
    """Why a typed witness value is not taken: `reason` is one of "control" (a format or bidi
    control character, which can make the value shown differ from the value hashed),
    "number" (a decimal point or a thousands mark), "not_digits" (a letter, a symbol, digits
    of another script), "empty" or "too_long"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def normalise_witness(typed: str) -> str:
    """The witness value as hashed: its ASCII digits, in order, leading zeros kept ("035172"
    is what was read out and differs from "35172"). NFKC first, so a phone's full-width
    １２３ is 123. Whitespace, dashes and other punctuation between digits are dropped, so that
    "35172", "3 5 1 7 2", "3-5-1-7-2" and "3、5、1、7、2" are one value: whoever types what the
    witness read out cannot choose among transcriptions of it, each of which would draw
    another sample. Normalised once, here; what was typed is kept beside it.

    Raises WitnessRefused (a ValueError) for every other trick, rather than reading it as
    some value: any format or bidi control (a right-to-left override shows 35271 while 35172
    would be hashed; a zero-width space hides), any other control but whitespace, a decimal
    point or thousands mark (NUMBER_MARKS, and punctuation named a dot, stop or point),
    letters (look-alikes from other scripts too), symbols, digits of other scripts, no digit
    at all, or more than WITNESS_MAX_LENGTH digits.
    """
    text = unicodedata.normalize("NFKC", typed)
    for char in text:
        if _is_control(char):
            raise WitnessRefused("control", "the witness value holds an invisible control")
        if char in NUMBER_MARKS or _looks_like_a_point(char):
            raise WitnessRefused("number", "the witness value holds a decimal or thousands mark")
        if not (char.isascii() and char.isdigit()) and not char.isspace() \
                and unicodedata.category(char)[0] not in SEPARATOR_CATEGORIES:
            raise WitnessRefused("not_digits", "the witness value must be digits")
    digits = "".join(char for char in text if char.isascii() and char.isdigit())
    if not digits:
        raise WitnessRefused("empty", "the witness value is empty")
    if len(digits) > WITNESS_MAX_LENGTH:
        raise WitnessRefused(
            "too_long", f"the witness value is longer than {WITNESS_MAX_LENGTH} digits")
    return digits


def _looks_like_a_point(char: str) -> bool:
    """Punctuation named a dot, a stop or a point (the katakana middle dot ・, raised dot ⸳,
    hyphenation point ‧...): each can pass for the decimal point of NUMBER_MARKS, so that
    "35172・0" reads as 35172 and would hash 351720."""
    name = unicodedata.name(char, "")
    return unicodedata.category(char) == "Po" and any(
        word in name.split() for word in ("DOT", "STOP", "POINT"))


def _is_control(char: str) -> bool:
    """Format characters (Cf: zero-width spaces and joiners, every bidi embedding, override
    and isolate, the marks LRM/RLM/ALM) and controls other than whitespace (Cc)."""
    category = unicodedata.category(char)
    return category == "Cf" or (category == "Cc" and not char.isspace()) \
        or unicodedata.bidirectional(char) in BIDI_CONTROLS


BIDI_CONTROLS = frozenset({"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"})


def draw_parameters(campaign: int, draw: int, *, fraction: float | None, total: int | None,
                    minimum: int) -> str:
    """The parameters text the commitment covers (see the module's byte layout)."""
    if (fraction is None) == (total is None):
        raise ValueError("give exactly one of total and fraction")
    size = f"fraction={float(fraction)!r}" if fraction is not None else f"total={int(total)}"
    return f"campaign={int(campaign)};draw={int(draw)};{size};minimum={int(minimum)}"


@dataclass(frozen=True)
class DrawCommitment:
    """The secret and what it is committed with. `secret` is 32 bytes; `roster_fingerprint`
    the 64 hex digits of `roster_fingerprint`; `parameters` the text of `draw_parameters`."""

    secret: bytes
    roster_fingerprint: str
    parameters: str

    def digest(self) -> str:
        """The commitment, 64 lowercase hex digits, to print before the draw."""
        return _hash(COMMITMENT_TAG, self.secret, self.roster_fingerprint.encode("ascii"),
                     self.parameters.encode())

    def seed(self, witness: str) -> str:
        """The draw's seed, 64 lowercase hex digits, from the secret and the witness value
        (normalised here, so what was typed and its normal form give one seed)."""
        return _hash(SEED_TAG, self.secret, normalise_witness(witness).encode())


LEGACY = "legacy"  # made before commitments existed: a seed alone
COMMITTED = "commit-v1"  # this module's construction


@dataclass(frozen=True)
class EarlierDraw:
    """A draw of the same campaign before the one checked, as its record lists it: every one
    is shown, so a redraw cannot hide the draw it replaced. `state` is "drawn", "set aside"
    or "prepared"; `secret` is None while it is withheld or when it was lost."""

    sequence: int
    scheme: str
    state: str
    reason: str | None
    commitment: str | None
    secret: str | None
    witness: str | None
    seed: str | None
    prepared_at: str | None  # ISO 8601, UTC
    drawn_at: str | None
    set_aside: str | None  # the reason it was set aside


@dataclass(frozen=True)
class DrawRecord:
    """A draw as recorded, to check against the roster it was drawn from.

    `members` maps stratum to member ids (the roster as it stands); `allocation` is what the
    record says was allocated per stratum (keys as text), `drawn` the member ids it says were
    drawn. `witness_typed` is the witness value as typed, `witness` as recorded normalised.
    `scheme` is COMMITTED, or LEGACY for a draw made before commitments, which has
    `commitment`, `secret`, `parameters` and both witness fields None, and only its `seed`.
    The scheme is written when a draw is prepared, so a committed draw whose commitment was
    erased does not pass as legacy. `sequence` is the draw's number in its campaign and
    `earlier` every draw of the campaign before it."""

    members: Mapping[Hashable, Sequence[Hashable]]
    fraction: float | None
    total: int | None
    minimum: int
    roster_fingerprint: str
    seed: str
    allocation: Mapping[str, int]
    drawn: Sequence[Hashable]
    parameters: str | None = None
    commitment: str | None = None
    secret: str | None = None  # 64 hex digits, as published
    witness_typed: str | None = None
    witness: str | None = None
    scheme: str = COMMITTED
    sequence: int = 1
    earlier: tuple[EarlierDraw, ...] = ()


RECORD_FIELDS = ("fraction", "total", "minimum", "roster_fingerprint", "seed", "allocation",
                 "drawn", "parameters", "commitment", "secret", "witness_typed", "witness",
                 "scheme", "sequence", "earlier")


def record_to_json(record: DrawRecord) -> dict:
    """The record as JSON-ready data: its fields by name, `members` as stratum (text) to ids
    (text), `drawn` as a list, `earlier` as a list of objects; what `record_from_json` reads
    back."""
    data = {name: getattr(record, name) for name in RECORD_FIELDS}
    data["members"] = {str(stratum): list(map(str, ids))
                       for stratum, ids in record.members.items()}
    data["allocation"] = {str(key): int(count) for key, count in record.allocation.items()}
    data["drawn"] = sorted(map(str, record.drawn))
    data["earlier"] = [asdict(draw) for draw in record.earlier]
    return data


def record_from_json(data: Mapping) -> DrawRecord:
    """A record from `record_to_json`'s data. Raises ValueError when a field is missing (a
    record file of an older version lacks `scheme`: it is refused, not read as legacy), and
    TypeError when an earlier draw's fields are not EarlierDraw's."""
    missing = [name for name in ("members", *RECORD_FIELDS) if name not in data]
    if missing:
        raise ValueError(f"the record lacks {', '.join(missing)}")
    fields = {name: data[name] for name in RECORD_FIELDS}
    fields["earlier"] = tuple(EarlierDraw(**draw) for draw in data["earlier"])
    return DrawRecord(members=dict(data["members"]), **fields)


@dataclass(frozen=True)
class DrawCheck:
    """One line of a verification: `name` is one of scheme, history, roster, commitment,
    witness, seed, allocation, sample, and `ok` whether the recomputed value is the recorded
    one."""

    name: str
    ok: bool
    recorded: str
    recomputed: str
    # For the sample: members drawn on the record and not on recomputing ("-id") or the reverse
    # ("+id"), so a report can name them.
    differences: tuple[str, ...] = ()


def check_draw(record: DrawRecord) -> tuple[DrawCheck, ...]:
    """Recompute a draw from its record and the roster, one check per step, named: scheme
    (a legacy record is one whose scheme says so and that follows no committed draw),
    history (the earlier draws are numbered 1 to this one's, each redraw with its reason),
    roster (its fingerprint), commitment (from the revealed secret, fingerprint and
    parameters), witness (the value as typed, normalised, is the one recorded), seed (from
    the secret and the witness value), allocation and sample. A legacy record has no
    commitment, witness or seed check: there is nothing to recompute them from. Every check
    is made even when an earlier one fails, so a report says everything that does not
    match."""
    checks = [_scheme_check(record), _history_check(record),
              _check("roster", record.roster_fingerprint, roster_fingerprint(record.members))]
    if record.commitment is not None or record.scheme != LEGACY:
        checks += _commitment_checks(record)
    counts = {str(stratum): len(ids) for stratum, ids in record.members.items()}
    try:
        allocation = allocate_proportional(counts, total=record.total, fraction=record.fraction,
                                           minimum=record.minimum)
        sample = draw_stratified_sample(
            {str(stratum): list(map(str, ids)) for stratum, ids in record.members.items()},
            allocation, record.seed)
    except ValueError as error:
        allocation, sample = {}, {}
        checks.append(DrawCheck("allocation", False, _text(record.allocation), str(error)))
    else:
        checks.append(_check("allocation", _text(record.allocation), _text(allocation)))
    drawn = set(map(str, record.drawn))
    redrawn = {str(member) for ids in sample.values() for member in ids}
    checks.append(DrawCheck(
        "sample", drawn == redrawn, str(len(drawn)), str(len(redrawn)),
        tuple(f"-{member}" for member in sorted(drawn - redrawn))
        + tuple(f"+{member}" for member in sorted(redrawn - drawn))))
    return tuple(checks)


def _scheme_check(record: DrawRecord) -> DrawCheck:
    """A draw passes as legacy only when its record says LEGACY, has no commitment, and no
    earlier draw of its campaign was committed: erasing a committed draw's commitment (to
    present a chosen seed as an old draw's) fails here."""
    held = COMMITTED if record.commitment is not None else LEGACY
    if any(draw.scheme != LEGACY for draw in record.earlier):
        held = COMMITTED  # commitments existed when this draw was made
    return _check("scheme", record.scheme, held)


def _history_check(record: DrawRecord) -> DrawCheck:
    """Every earlier draw is on the record, numbered 1, 2, … up to this one, and each after
    the first gives its reason: a redraw cannot drop the draw it replaced."""
    numbers = [draw.sequence for draw in record.earlier]
    unexplained = [draw.sequence for draw in record.earlier
                   if draw.sequence > 1 and not (draw.reason or "").strip()]
    recomputed = ", ".join(map(str, range(1, record.sequence)))
    if unexplained:
        recomputed += f" ({', '.join(map(str, unexplained))}: no reason)"
    return _check("history", ", ".join(map(str, numbers)), recomputed)


def _commitment_checks(record: DrawRecord) -> list[DrawCheck]:
    secret = _secret_bytes(record.secret)
    commitment = DrawCommitment(secret or b"", record.roster_fingerprint,
                                record.parameters or "")
    try:
        typed = normalise_witness(record.witness_typed or "")
        seed = commitment.seed(record.witness or "")
    except ValueError as error:
        typed = seed = str(error)
    if secret is None:
        seed = "?"
    return [_check("commitment", record.commitment or "",
                   commitment.digest() if secret is not None else "?"),
            _check("witness", record.witness or "", typed),
            _check("seed", record.seed, seed)]


def _secret_bytes(text: str | None) -> bytes | None:
    try:
        secret = bytes.fromhex(text or "")
    except ValueError:
        return None
    return secret if len(secret) == SECRET_BYTES else None


def _check(name: str, recorded: str, recomputed: str) -> DrawCheck:
    return DrawCheck(name, recorded == recomputed, recorded, recomputed)


def _text(allocation: Mapping) -> str:
    """An allocation as text, strata that get nobody left out (a record may list them or not)."""
    return "; ".join(f"{key}: {count}" for key, count in sorted(
        (str(key), count) for key, count in allocation.items() if count))
