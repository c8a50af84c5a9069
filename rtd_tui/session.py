"""What ``rtd-tui serve`` hands each browser tab: the settings, the control socket, the mode.

A tab is a separate process started by textual-serve with a bare command line, so its
settings (Kafka secrets included) travel neither on a command line nor in a file: the
tab asks ``serve``'s control socket for them (``control.fetch_session``), the one
path it inherits in ``RTD_SERVE_CONTROL``. The socket lives in ``serve``'s private
(0700) folder and is readable by the same user only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rtd_tui.config import ConfigError, Settings

SESSION_ENV = "RTD_SERVE_CONTROL"
_PATHS = ("export_dir", "log_file")


@dataclass(frozen=True, slots=True)
class Session:
    """Everything a tab needs from ``serve``: the settings, where the control socket is,
    and whether writes are refused."""

    settings: Settings
    control: Path
    read_only: bool
    broker: str  # as serve names it: "embedded @ 127.0.0.1:port" or the cluster
    owner: int  # serve's process id: a tab ends with it

    def to_json(self) -> dict[str, Any]:
        """The session as JSON values (paths absolute: a tab's working folder may differ)."""
        fields = asdict(self.settings)
        fields["kafka"] = dict(self.settings.kafka)
        for name in _PATHS:
            fields[name] = None if fields[name] is None else str(Path(fields[name]).resolve())
        return {"settings": fields, "control": str(self.control), "read_only": self.read_only,
                "broker": self.broker, "owner": self.owner}

    @classmethod
    def from_json(cls, data: Any) -> Session:
        """The session ``to_json`` made; a ``ConfigError`` for anything else."""
        try:
            fields = dict(data["settings"])
            for name in _PATHS:
                fields[name] = None if fields[name] is None else Path(fields[name])
            return cls(Settings(**fields), Path(data["control"]), bool(data["read_only"]),
                       str(data["broker"]), int(data["owner"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"malformed serve session: {exc!r}") from None
