"""Apache Kafka's jars and the Java that runs them: found, or fetched once through Maven.

No distribution tarball and no Docker: a throwaway ``pom.xml`` resolves
``org.apache.kafka:kafka_2.13`` and its dependencies from Maven Central into a
per-user cache (``~/.cache/rtd-tui/kafka-jars/VERSION``, or ``$RTD_KAFKA_JARS``).
The download goes into a folder beside the cache and is renamed into place, so an
interrupted one never looks complete. The same folder holds ``kafka-clients``, so
Java clients can run from it too. ``fetch_with_maven`` does the same for any Maven
artifacts (the Flink job's Kafka connector, ``rtd_tui.flink.connector``).
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from rtd_tui.config import ConfigError
from rtd_tui.scratch import owned_folder

KAFKA_VERSION = "4.1.1"
MIN_JAVA = 17
FETCH_TIMEOUT_S = 900.0
PROGRESS_EVERY_S = 5.0
Progress = Callable[[str], None]

POM = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by rtd-tui: only here so that `mvn dependency:copy-dependencies` copies
     {what} and its dependencies into one folder. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>rtd-tui</groupId>
  <artifactId>jars</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>{dependencies}
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.8.1</version>
        <configuration><includeScope>runtime</includeScope></configuration>
      </plugin>
    </plugins>
  </build>
</project>
"""
DEPENDENCY = """
    <dependency>
      <groupId>{group}</groupId>
      <artifactId>{artifact}</artifactId>
      <version>{version}</version>
    </dependency>"""
#: Kafka logs through SLF4J 1.7; without this binding the broker log stays empty.
KAFKA_ARTIFACTS = (("org.apache.kafka", "kafka_2.13"),
                   ("org.apache.logging.log4j", "log4j-slf4j-impl", "2.24.3"))


class KafkaUnavailable(ConfigError):
    """Apache Kafka cannot run here: no Java 17+, or no jars and no Maven to fetch them."""


class KafkaEngineError(RuntimeError):
    """Apache Kafka failed at run time (download, start, a broker that died); one line."""


def no_progress(_line: str) -> None:
    """The default progress sink: say nothing."""


@functools.cache
def java_major() -> int | None:
    """The major version of ``java`` on PATH (8 for 1.8), or None without a usable one.

    Asked once per process: each ask starts a JVM.
    """
    if shutil.which("java") is None:
        return None
    try:
        done = subprocess.run(
            ["java", "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if found is None:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def jar_dir(version: str = KAFKA_VERSION) -> Path:
    """Where the broker jars live: ``$RTD_KAFKA_JARS`` or the per-user cache."""
    configured = os.environ.get("RTD_KAFKA_JARS")
    if configured:
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "rtd-tui" / "kafka-jars" / version


def has_jars(folder: Path) -> bool:
    """True when ``folder`` holds a complete fetch (the broker jar is copied with the rest)."""
    return any(folder.glob("kafka_2.13-*.jar"))


def unavailable_reason(version: str = KAFKA_VERSION) -> str | None:
    """Why Apache Kafka cannot run here, in a few words; None when it can."""
    major = java_major()
    if major is None:
        return f"no Java on PATH; Apache Kafka {version} needs Java {MIN_JAVA}+"
    if major < MIN_JAVA:
        return f"Java {major} found; Apache Kafka {version} needs Java {MIN_JAVA}+"
    folder = jar_dir(version)
    if not has_jars(folder) and shutil.which("mvn") is None:
        return f"the Apache Kafka jars are not in {folder} and Maven (mvn) is not on PATH"
    return None


def require(version: str = KAFKA_VERSION) -> None:
    """Raise ``KafkaUnavailable`` (a usage error) when Apache Kafka cannot run here."""
    reason = unavailable_reason(version)
    if reason is not None:
        raise KafkaUnavailable(f"cannot run Apache Kafka: {reason}")


def ensure_jars(version: str = KAFKA_VERSION, progress: Progress = no_progress) -> Path:
    """The jar folder, fetched with Maven on first use (``progress`` hears about it)."""
    target = jar_dir(version)
    if has_jars(target):
        return target
    if shutil.which("mvn") is None:
        raise KafkaUnavailable(
            f"cannot run Apache Kafka: its jars are not in {target} and Maven (mvn) is not "
            "on PATH to fetch them"
        )
    broker, binding = KAFKA_ARTIFACTS
    fetch_with_maven(target, [(*broker, version), binding],
                     f"the Apache Kafka {version} jars", "about 45 MB", progress)
    return target


def fetch_with_maven(
    target: Path, artifacts: list[tuple[str, ...]], what: str, size: str, progress: Progress
) -> None:
    """Copy Maven ``(group, artifact, version)`` artifacts and their runtime dependencies
    into ``target``, through a folder beside it renamed into place when complete."""
    # A folder that already exists (RTD_KAFKA_JARS) is filled in place and never deleted.
    into = target if target.exists() else target.with_name(f"{target.name}.partial-{os.getpid()}")
    into.parent.mkdir(parents=True, exist_ok=True)
    log = target.with_name(f"fetch-{target.name}.log")
    progress(f"fetching {what} through Maven into {target} (once; {size})")
    started = time.monotonic()
    dependencies = "".join(DEPENDENCY.format(group=g, artifact=a, version=v)
                           for g, a, v in artifacts)
    try:
        _maven(into, POM.format(what=what, dependencies=dependencies), what, log, progress)
    except BaseException:
        if into != target:
            shutil.rmtree(into, ignore_errors=True)
        raise
    if into != target:
        try:
            into.rename(target)
        except OSError:  # another process finished the same download first
            shutil.rmtree(into, ignore_errors=True)
    progress(f"fetched the jars in {time.monotonic() - started:.0f} s")


def _maven(output: Path, pom_text: str, what: str, log: Path, progress: Progress) -> None:
    """Run the copy with its output in ``log``; a failure is one line naming the log."""
    with owned_folder("rtd-jars-pom-") as project:
        pom = project / "pom.xml"
        pom.write_text(pom_text, encoding="utf-8")
        command = ["mvn", "-B", "-q", "-f", str(pom), "dependency:copy-dependencies",
                   f"-DoutputDirectory={output}"]
        with open(log, "w", encoding="utf-8") as sink:
            sink.write(f"$ {shlex.join(command)}\n")
            sink.flush()
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=sink,
                                    stderr=subprocess.STDOUT)
            started = time.monotonic()
            try:
                while True:
                    try:
                        code = proc.wait(PROGRESS_EVERY_S)
                        break
                    except subprocess.TimeoutExpired:
                        waited = time.monotonic() - started
                        if waited > FETCH_TIMEOUT_S:
                            raise KafkaEngineError(
                                f"fetching {what} took over {FETCH_TIMEOUT_S:.0f} s; "
                                f"Maven's output: {log}"
                            ) from None
                        progress(f"still fetching ({waited:.0f} s)")
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    if code != 0:
        raise KafkaEngineError(
            f"fetching {what} failed (mvn exit {code}: {_first_error(log)}); "
            f"Maven's output: {log}"
        )


def _first_error(log: Path) -> str:
    """Maven's first ``[ERROR]`` line, shortened: the reason, without the stack of advice."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text(encoding="utf-8", errors="replace"))
    lines = text.splitlines()
    errors = [line.removeprefix("[ERROR]").strip() for line in lines if line.startswith("[ERROR]")]
    reason = next((e for e in errors if e), "no error message")
    return reason if len(reason) <= 200 else reason[:197] + "..."
