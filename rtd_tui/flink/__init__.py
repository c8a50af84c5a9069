"""The Flink SQL job behind ``rtd-tui aggregate``: its SQL template (``aggregates.sql``),
the renderer (``render``, core: no Flink import), the connector jar (``connector``) and
the local runner (``job``, PyFlink: the optional ``flink`` extra)."""
