"""A period's finished results, kept compact until the report is written.

A month is ~1,500 analyses; as objects each is ~32 KB (its paper, analysis, checks and
provenance), so holding them all for the report made memory grow with the period. Kept as
compressed JSON (~3 KB) and decoded one at a time as the report is written, a month needs
about what a day needs. Every paper is archived as it finishes; this is the run's own copy,
in report order."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from pydantic_core import core_schema

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler

    from dailypapers.core.models import PaperResult


def pack_result(result: PaperResult) -> bytes:
    """A result as kept: zlib's fastest level packs an analysis's JSON to about a third."""
    return zlib.compress(result.model_dump_json().encode(), 1)


class PaperResults(Sequence["PaperResult"]):
    """A read-only sequence of results that holds them packed (see `pack_result`)."""

    def __init__(self, results: Iterable[PaperResult | bytes] = ()) -> None:
        self._packed = [r if isinstance(r, bytes) else pack_result(r) for r in results]

    def __len__(self) -> int:
        return len(self._packed)

    @overload
    def __getitem__(self, i: int) -> PaperResult: ...
    @overload
    def __getitem__(self, i: slice) -> list[PaperResult]: ...
    def __getitem__(self, i: int | slice) -> PaperResult | list[PaperResult]:
        if isinstance(i, slice):
            return [_unpack(b) for b in self._packed[i]]
        return _unpack(self._packed[i])

    def __iter__(self) -> Iterator[PaperResult]:
        return (_unpack(b) for b in self._packed)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PaperResults):
            return list(self) == list(other)
        return isinstance(other, list) and list(self) == other

    def __repr__(self) -> str:
        return f"PaperResults({len(self)} results)"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validated from a list of results (or kept as it is); serialised as that list."""
        from dailypapers.core.models import PaperResult

        items = handler.generate_schema(list[PaperResult])
        return core_schema.union_schema(
            [
                core_schema.is_instance_schema(cls),
                core_schema.no_info_after_validator_function(cls, items),
            ],
            serialization=core_schema.plain_serializer_function_ser_schema(
                list, return_schema=items
            ),
        )


def _unpack(packed: bytes) -> PaperResult:
    from dailypapers.core.models import PaperResult

    return PaperResult.model_validate_json(zlib.decompress(packed))
