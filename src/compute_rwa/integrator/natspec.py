"""NatSpec of the compiled suite, read from the artifacts' ASTs.

brownie merges solc's devdoc and userdoc into one `natspec` object per artifact, and in doing so
keeps only one of the two for events and errors: an event with both a `@notice` and a `@param`
loses its notice. So the comments are read from the AST instead (every function, event, error,
struct and contract node carries its raw documentation text), and `@inheritdoc` and implicit
inheritance are resolved the way solc resolves them: through the C3 linearization of the
contract's bases. Undocumented members of an interface take the text an implementation gives
them, so an interface page is never emptier than its implementation's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from eth_utils.crypto import keccak

from compute_rwa.artifacts import PROJECT_ROOT, build_dir
from compute_rwa.errors import ArtifactNotFoundError

EntryKind = Literal["constructor", "function", "event", "error"]

#: A line of a comment that starts a list item keeps its own line.
_LIST_ITEM = re.compile(r"^(?:[-*]|\d+[.)])\s")


@dataclass(frozen=True)
class NatSpec:
    """One comment's tags. Text keeps list items on their own lines; other lines are joined."""

    title: str = ""
    notice: str = ""
    dev: str = ""
    params: dict[str, str] = field(default_factory=dict)
    returns: tuple[str, ...] = ()
    inheritdoc: str | None = None
    custom: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.title or self.notice or self.dev or self.params or self.returns or self.custom)

    def over(self, base: NatSpec) -> NatSpec:
        """These tags on top of `base`'s (what `@inheritdoc` does with tags given beside it)."""
        return NatSpec(
            title=self.title or base.title,
            notice=self.notice or base.notice,
            dev=self.dev or base.dev,
            params={**base.params, **self.params},
            returns=self.returns or base.returns,
            inheritdoc=None,
            custom={**base.custom, **self.custom},
        )


def parse_natspec(text: str | None) -> NatSpec:
    """Parses the raw text of a NatSpec comment (`///` or `/** */`, as solc hands it over)."""
    if not text:
        return NatSpec()
    parts: list[tuple[str, str, list[str]]] = []  # (tag, name, lines with their indentation)
    for raw in text.split("\n"):
        line = raw.strip()
        if line.startswith("@"):
            tag, _, rest = line[1:].partition(" ")
            rest = rest.strip()
            name = ""
            if tag == "param":
                name, _, rest = rest.partition(" ")
            parts.append((tag, name, [rest.strip()] if rest.strip() else []))
        elif not parts:
            parts.append(("notice", "", [raw] if line else []))
        elif line:
            parts[-1][2].append(raw)
    title = notice = dev = ""
    inheritdoc: str | None = None
    params: dict[str, str] = {}
    custom: dict[str, str] = {}
    returns: list[str] = []
    for tag, name, lines in parts:
        content = _join(lines)
        if tag == "title":
            title = _append(title, content)
        elif tag == "notice":
            notice = _append(notice, content)
        elif tag == "dev":
            dev = _append(dev, content)
        elif tag == "param":
            params[name] = content
        elif tag == "return":
            returns.append(content)
        elif tag == "inheritdoc":
            inheritdoc = content
        elif tag.startswith("custom:"):
            custom[tag.removeprefix("custom:")] = content
    return NatSpec(title, notice, dev, params, tuple(returns), inheritdoc, custom)


def _join(lines: Sequence[str]) -> str:
    """Joins a tag's lines into prose. A list item starts a line; a line indented deeper than
    the item continues it; a line back at the item's indentation ends the list (new paragraph)."""
    text = ""
    item_indent: int | None = None
    for raw in lines:
        line = raw.strip()
        indent = len(raw) - len(raw.lstrip())
        if not text:
            text = line
        elif _LIST_ITEM.match(line):
            text += "\n" + line
            item_indent = indent
        elif item_indent is not None and indent <= item_indent:
            text += "\n\n" + line
            item_indent = None
        else:
            text += " " + line
    return text


def _append(existing: str, more: str) -> str:
    return f"{existing}\n\n{more}" if existing and more else existing or more


@dataclass(frozen=True)
class Declaration:
    """A function, public variable, event or error as declared in one contract's source."""

    kind: EntryKind
    key: str
    name: str
    contract: str
    start: int
    doc: str | None


@dataclass(frozen=True)
class TypeDefinition:
    """A struct or enum that a contract's ABI uses."""

    kind: Literal["struct", "enum"]
    name: str
    source_path: str
    doc: NatSpec
    members: tuple[str, ...]  # enum values, or struct field names in order


@dataclass(frozen=True)
class Entry:
    """One ABI item of a contract with its resolved documentation."""

    kind: EntryKind
    abi: dict[str, Any]
    doc: NatSpec
    #: The contract that first declares it (an interface or base), or the library that declares
    #: an error or event used by the contract; None when no declaration was found.
    origin: str | None
    order: tuple[int, int, str]

    @property
    def name(self) -> str:
        return str(self.abi.get("name", self.kind))

    @property
    def key(self) -> str:
        return abi_key(self.abi)


@dataclass(frozen=True)
class ContractDoc:
    """Everything the reference page of one contract or interface shows."""

    name: str
    kind: str
    source_path: str
    doc: NatSpec
    bases: tuple[str, ...]
    entries: tuple[Entry, ...]
    types: tuple[TypeDefinition, ...]

    def of_kind(self, kind: EntryKind) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind]


def canonical_type(param: dict[str, Any]) -> str:
    """The ABI type as it appears in a canonical signature (tuples spelled out)."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in param.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def abi_signature(item: dict[str, Any]) -> str:
    return f"{item.get('name', '')}({','.join(canonical_type(p) for p in item.get('inputs', []))})"


def abi_key(item: dict[str, Any]) -> str:
    """Selector (functions, errors: 4 bytes), topic 0 (events: 32 bytes) or 'constructor', in hex."""
    kind = item["type"]
    if kind == "constructor":
        return "constructor"
    digest = keccak(text=abi_signature(item)).hex()
    return digest if kind == "event" else digest[:8]


class ArtifactSet:
    """The compiled artifacts of one build folder, their declarations and their NatSpec."""

    def __init__(self, directory: Path | None = None, source_root: Path | None = None) -> None:
        self.directory = directory or build_dir()
        self.source_root = source_root or PROJECT_ROOT
        self._raw: dict[str, dict[str, Any]] = {}
        self._linear: dict[str, tuple[str, ...]] = {}
        self._declared: dict[str, dict[str, Declaration]] = {}

    # ----------------------------------------------------------------- artifacts

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(p.stem for p in self.directory.glob("*.json")))

    def raw(self, name: str) -> dict[str, Any]:
        if name not in self._raw:
            path = self.directory / f"{name}.json"
            if not path.is_file():
                raise ArtifactNotFoundError(f"{path}: no compiled artifact for {name!r}; run `make build`")
            self._raw[name] = json.loads(path.read_text())
        return self._raw[name]

    def has(self, name: str) -> bool:
        return name in self.names

    def is_ours(self, name: str) -> bool:
        """Whether `name` comes from contracts/ rather than a dependency. Dependencies' comments
        are left out of the reference: the build holds two OpenZeppelin copies (5.7, and 5.0.2
        as the ERC-721 alias) that both define IERC165, IERC721Errors, ...; brownie keeps
        whichever it compiled last, and their wording differs, so the pages would differ from
        machine to machine. Their members still appear, with signatures and selectors."""
        return str(self.raw(name).get("sourcePath", "")).startswith("contracts/")

    def definition(self, name: str) -> dict[str, Any]:
        """The ContractDefinition node of `name` in its source unit's AST."""
        for node in self.raw(name)["ast"]["nodes"]:
            if node.get("nodeType") == "ContractDefinition" and node.get("name") == name:
                return dict(node)
        raise ArtifactNotFoundError(f"{self.directory / name}.json: its AST declares no contract {name!r}")

    def bases(self, name: str) -> tuple[str, ...]:
        """Direct bases as written (`is A, B`: most base-like first)."""
        return tuple(str(b["baseName"]["name"]).split(".")[-1] for b in self.definition(name).get("baseContracts", []))

    def linearization(self, name: str) -> tuple[str, ...]:
        """C3 linearization by name: the contract first, then its bases, most derived first."""
        if name not in self._linear:
            bases = [b for b in self.bases(name) if self.has(b)]
            sequences = [list(self.linearization(b)) for b in reversed(bases)] + [list(reversed(bases))]
            result = [name]
            while any(sequences):
                sequences = [s for s in sequences if s]
                head = next(s[0] for s in sequences if not any(s[0] in t[1:] for t in sequences))
                result.append(head)
                sequences = [s[1:] if s[0] == head else s for s in sequences]
            self._linear[name] = tuple(result)
        return self._linear[name]

    def ancestry(self, name: str) -> tuple[str, ...]:
        """The contract and its bases depth first, in the order they are written: the order in
        which a reader meets them (own members, then the first interface's, ...)."""
        seen: list[str] = []

        def visit(current: str) -> None:
            if current in seen or not self.has(current):
                return
            seen.append(current)
            for base in self.bases(current):
                visit(base)

        visit(name)
        return tuple(seen)

    # -------------------------------------------------------------- declarations

    def declared(self, name: str) -> dict[str, Declaration]:
        """Members of contract `name` declared in its own body, by ABI key."""
        if name not in self._declared:
            found: dict[str, Declaration] = {}
            ours = self.is_ours(name)
            for node in self.definition(name).get("nodes", []):
                declaration = _declaration(node, name)
                if declaration is not None:
                    found.setdefault(declaration.key, declaration if ours else replace(declaration, doc=None))
            self._declared[name] = found
        return self._declared[name]

    @cached_property
    def global_events_and_errors(self) -> dict[str, Declaration]:
        """Events and errors declared anywhere (libraries, other contracts, file level), by key;
        the first documented declaration wins, in artifact name order."""
        found: dict[str, Declaration] = {}
        for name in self.names:
            ours = self.is_ours(name)  # dependencies' comments are left out: see is_ours
            ast = self.raw(name).get("ast") or {}
            for node in ast.get("nodes", []):
                owners: list[tuple[str, dict[str, Any]]] = []
                if node.get("nodeType") == "ContractDefinition":
                    owners = [(str(node["name"]), member) for member in node.get("nodes", [])]
                else:
                    owners = [(Path(str(ast.get("absolutePath", name))).stem, node)]
                for owner, member in owners:
                    declaration = _declaration(member, owner)
                    if declaration is None or declaration.kind not in ("event", "error"):
                        continue
                    if not ours:
                        declaration = replace(declaration, doc=None)
                    current = found.get(declaration.key)
                    if current is None or (not current.doc and declaration.doc):
                        found[declaration.key] = declaration
        return found

    # ------------------------------------------------------------------- natspec

    def resolve(self, name: str, key: str) -> NatSpec:
        """The documentation of member `key` of `name`: the most derived declaration with a
        comment, `@inheritdoc` followed (a constructor's comment is its own)."""
        contracts = (name,) if key == "constructor" else self.linearization(name)
        for contract in contracts:
            declaration = self.declared(contract).get(key)
            if declaration is None or not declaration.doc:
                continue
            doc = parse_natspec(declaration.doc)
            if doc.inheritdoc:
                doc = doc.over(self.resolve(doc.inheritdoc, key) if self.has(doc.inheritdoc) else NatSpec())
            if not doc.empty:
                return doc
        return NatSpec()

    def origin(self, name: str, key: str) -> str | None:
        """The most base-like contract of `name`'s bases that declares `key`."""
        if key == "constructor":
            return name
        for contract in reversed(self.linearization(name)):
            if key in self.declared(contract):
                return contract
        return None

    def contract_doc(self, name: str, implementers: Iterable[str] = ()) -> ContractDoc:
        """The documentation of `name`; undocumented members take the text an implementer's
        source gives them (interfaces whose implementations carry the comments)."""
        artifact = self.raw(name)
        implementers = [i for i in implementers if i != name and name in self.linearization(i)]
        ancestry = self.ancestry(name)
        entries: list[Entry] = []
        for item in artifact["abi"]:
            kind = item.get("type")
            if kind not in ("constructor", "function", "event", "error"):
                continue
            key = abi_key(item)
            doc = self.resolve(name, key)
            origin = self.origin(name, key)
            if doc.empty:
                for implementer in implementers:
                    doc = self.resolve(implementer, key)
                    if not doc.empty:
                        break
            if origin is None and kind in ("event", "error"):
                declaration = self.global_events_and_errors.get(key)
                if declaration is not None:
                    origin = declaration.contract
                    if doc.empty:
                        doc = parse_natspec(declaration.doc)
            entries.append(Entry(kind, item, doc, origin, self._order(ancestry, origin, key, item)))
        entries.sort(key=lambda e: e.order)
        definition = self.definition(name)
        own = parse_natspec((definition.get("documentation") or {}).get("text"))
        return ContractDoc(
            name=name,
            kind=str(artifact.get("type", definition.get("contractKind", "contract"))),
            source_path=str(artifact.get("sourcePath", "")),
            doc=own,
            bases=self.bases(name),
            entries=tuple(entries),
            types=tuple(self.types_of(artifact["abi"])),
        )

    def _order(
        self, ancestry: Sequence[str], origin: str | None, key: str, item: dict[str, Any]
    ) -> tuple[int, int, str]:
        if origin in ancestry:
            declaration = self.declared(origin).get(key) if origin else None
            return ancestry.index(origin), declaration.start if declaration else 0, str(item.get("name", ""))
        return len(ancestry), 0, str(item.get("name", ""))

    # --------------------------------------------------------------------- types

    @cached_property
    def type_definitions(self) -> dict[str, TypeDefinition]:
        """Structs and enums by canonical name (`Name` at file level, `Contract.Name` inside),
        from every artifact's AST, then from the sources of files no artifact covers."""
        found: dict[str, TypeDefinition] = {}
        covered: set[str] = set()
        for name in self.names:
            artifact = self.raw(name)
            ast = artifact.get("ast") or {}
            covered.add(str(ast.get("absolutePath", "")))
            for node in _walk_types(ast.get("nodes", [])):
                canonical = str(node["canonicalName"])
                if canonical in found:
                    continue
                kind: Literal["struct", "enum"] = "struct" if node["nodeType"] == "StructDefinition" else "enum"
                members = tuple(str(m["name"]) for m in node.get("members", []))
                doc = parse_natspec((node.get("documentation") or {}).get("text"))
                found[canonical] = TypeDefinition(kind, canonical, str(ast.get("absolutePath", "")), doc, members)
        for path in sorted((self.source_root / "contracts").rglob("*.sol")):
            relative = path.relative_to(self.source_root).as_posix()
            if relative in covered:
                continue
            for definition in _source_types(path.read_text(), relative):
                found.setdefault(definition.name, definition)
        return found

    def types_of(self, abi: Sequence[dict[str, Any]]) -> list[TypeDefinition]:
        """The structs and enums an ABI refers to (nested ones too), by name."""
        names: set[str] = set()
        for item in abi:
            for param in _params(item):
                names.update(_referenced_types(param))
        return [self.type_definitions[n] for n in sorted(names) if n in self.type_definitions]


def _declaration(node: dict[str, Any], contract: str) -> Declaration | None:
    node_type = node.get("nodeType")
    doc = (node.get("documentation") or {}).get("text") if isinstance(node.get("documentation"), dict) else None
    start = int(str(node.get("src", "0:0:0")).split(":")[0])
    if node_type == "FunctionDefinition" and node.get("kind") == "constructor":
        return Declaration("constructor", "constructor", "constructor", contract, start, doc)
    if node_type in ("FunctionDefinition", "VariableDeclaration") and node.get("functionSelector"):
        return Declaration("function", str(node["functionSelector"]), str(node["name"]), contract, start, doc)
    if node_type == "EventDefinition" and node.get("eventSelector"):
        return Declaration("event", str(node["eventSelector"]), str(node["name"]), contract, start, doc)
    if node_type == "ErrorDefinition" and node.get("errorSelector"):
        return Declaration("error", str(node["errorSelector"]), str(node["name"]), contract, start, doc)
    return None


def _walk_types(nodes: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        if node.get("nodeType") in ("StructDefinition", "EnumDefinition"):
            yield node
        elif node.get("nodeType") == "ContractDefinition":
            yield from _walk_types(node.get("nodes", []))


#: A file-level struct or enum with the `///` comment right above it.
_SOURCE_TYPE = re.compile(
    r"(?P<doc>(?:^[ \t]*///.*\n)*)^[ \t]*(?P<kind>struct|enum)\s+(?P<name>\w+)\s*\{(?P<body>[^}]*)\}", re.MULTILINE
)


def _source_types(source: str, relative: str) -> Iterator[TypeDefinition]:
    """Structs and enums of a source file that no artifact's AST holds (a file of types only)."""
    for match in _SOURCE_TYPE.finditer(source):
        doc_text = "\n".join(line.strip()[3:] for line in match["doc"].splitlines())
        body = re.sub(r"//[^\n]*", "", match["body"])
        if match["kind"] == "enum":
            members = tuple(m.strip() for m in body.split(",") if m.strip())
            kind: Literal["struct", "enum"] = "enum"
        else:
            members = tuple(d.split()[-1] for d in (s.strip() for s in body.split(";")) if d)
            kind = "struct"
        yield TypeDefinition(kind, match["name"], relative, parse_natspec(doc_text), members)


def _params(item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from item.get("inputs", [])
    yield from item.get("outputs", [])


def type_name(param: dict[str, Any]) -> str:
    """The Solidity type of an ABI parameter (`MarketConfig`, `Metric`, `IShareValuator`, ...)."""
    internal = str(param.get("internalType") or param["type"])
    for prefix in ("struct ", "enum ", "contract "):
        if internal.startswith(prefix):
            return internal[len(prefix) :]
    return internal


def _referenced_types(param: dict[str, Any]) -> Iterator[str]:
    internal = str(param.get("internalType") or "")
    if internal.startswith(("struct ", "enum ")):
        yield re.sub(r"(\[\d*\])+$", "", internal.split(" ", 1)[1])
    for component in param.get("components", []):
        yield from _referenced_types(component)
