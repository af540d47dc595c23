"""The segment builder's form: groups of condition rows, posted as flat fields, rendered
server-side (htmx re-renders the whole builder on each change; without JavaScript the same
buttons submit the page).

Field names: top_op; groups (count); g<i>-op; g<i>-rows (count); g<i>-r<j>-type;
g<i>-r<j>-<param>. Groups are the tree's second level: {"op": top, "children": [groups]}.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from .conditions import REGISTRY, clean_condition

MAX_GROUPS = 10
MAX_ROWS = 15


@dataclass
class Row:
    prefix: str
    type: str = ""
    params: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)

    @property
    def condition(self):
        return REGISTRY.get(self.type)

    @property
    def fields(self) -> list[dict]:
        condition = self.condition
        if condition is None:
            return []
        return [
            {
                "param": p,
                "name": f"{self.prefix}-{p.name}",
                "value": self.params.get(p.name, ""),
                "choices": p.choices() if p.choices else None,
            }
            for p in condition.params
        ]


@dataclass
class Group:
    prefix: str
    op: str = "and"
    rows: list[Row] = field(default_factory=list)


@dataclass
class Builder:
    top_op: str = "and"
    groups: list[Group] = field(default_factory=list)

    @property
    def types(self):
        return [(key, c.label) for key, c in REGISTRY.items()]

    def tree(self) -> dict:
        return {
            "op": self.top_op,
            "children": [
                {
                    "op": g.op,
                    "children": [{"type": r.type, "params": r.params} for r in g.rows if r.type],
                }
                for g in self.groups
            ],
        }

    def check_rows(self) -> bool:
        """Validate each row for its own message; True when every row is valid."""
        ok = True
        for group in self.groups:
            for row in group.rows:
                if not row.type:
                    continue
                try:
                    clean_condition({"type": row.type, "params": row.params})
                    row.errors = []
                except ValidationError as exc:
                    row.errors = exc.messages
                    ok = False
        return ok

    def renumber(self) -> None:
        for i, group in enumerate(self.groups):
            group.prefix = f"g{i}"
            for j, row in enumerate(group.rows):
                row.prefix = f"g{i}-r{j}"


def _count(data, key: str, limit: int) -> int:
    try:
        return max(0, min(int(data.get(key, 0)), limit))
    except (TypeError, ValueError):
        return 0


def from_post(data) -> Builder:
    builder = Builder(top_op="or" if data.get("top_op") == "or" else "and")
    for i in range(_count(data, "groups", MAX_GROUPS)):
        group = Group(prefix=f"g{i}", op="or" if data.get(f"g{i}-op") == "or" else "and")
        for j in range(_count(data, f"g{i}-rows", MAX_ROWS)):
            prefix = f"g{i}-r{j}"
            kind = data.get(f"{prefix}-type", "")
            # An unknown type is kept, so the check names it instead of dropping it silently.
            row = Row(prefix=prefix, type=str(kind)[:40])
            if row.condition:
                for p in row.condition.params:
                    value = data.get(f"{prefix}-{p.name}", "")
                    if value not in ("", None):
                        row.params[p.name] = value
            group.rows.append(row)
        builder.groups.append(group)
    return builder


def from_tree(tree: dict) -> Builder:
    builder = Builder(top_op=tree.get("op", "and") if tree else "and")
    loose = Group(prefix="", op=builder.top_op)
    for child in (tree or {}).get("children", []):
        if "children" in child:
            group = Group(prefix="", op=child.get("op", "and"))
            group.rows = [
                Row(prefix="", type=c.get("type", ""), params=dict(c.get("params", {})))
                for c in child["children"]
                if "children" not in c
            ]
            builder.groups.append(group)
        else:
            loose.rows.append(
                Row(prefix="", type=child.get("type", ""), params=dict(child.get("params", {})))
            )
    if loose.rows:
        builder.groups.insert(0, loose)
    if not builder.groups:
        builder.groups.append(Group(prefix="", rows=[Row(prefix="")]))
    builder.renumber()
    return builder


def apply_action(builder: Builder, action: str) -> None:
    """add_group, add_row:<i>, remove_row:<i>:<j>, remove_group:<i>; anything else: nothing."""
    parts = (action or "").split(":")
    try:
        if parts[0] == "add_group" and len(builder.groups) < MAX_GROUPS:
            builder.groups.append(Group(prefix="", rows=[Row(prefix="")]))
        elif parts[0] == "add_row":
            group = builder.groups[int(parts[1])]
            if len(group.rows) < MAX_ROWS:
                group.rows.append(Row(prefix=""))
        elif parts[0] == "remove_row":
            del builder.groups[int(parts[1])].rows[int(parts[2])]
        elif parts[0] == "remove_group":
            del builder.groups[int(parts[1])]
    except (IndexError, ValueError):
        pass
    if not builder.groups:
        builder.groups.append(Group(prefix="", rows=[Row(prefix="")]))
    builder.renumber()
