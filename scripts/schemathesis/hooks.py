"""Schemathesis hooks for Riffle's spec: tus sends its bytes as `application/offset+octet-stream`,
which schemathesis serializes like any octet stream once told so."""
import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
