"""No credentials in the fleet's URLs (rule ``url-credentials``).

Every URL of the fleet (each cluster's ``apiServer``, ``spec.gitops.repoURL``)
is copied into the rendered output, which is committed to git and read by
every Argo CD/Flux reader. User info (``https://admin:S3cret@host``,
``https://<token>@host``) and credential query parameters (``?token=``,
``access_token``, ``private_token``, a signed URL's ``sig``) would be
committed with it; credentials belong in Secrets created out of band (an Argo
CD repository or cluster Secret, Flux ``credentialsSecret``). Messages never
repeat the secret itself.
"""

from __future__ import annotations

from typing import Iterator
from urllib.parse import parse_qsl, urlsplit

from generator.diagnostics import Finding, error
from generator.model import Fleet

RULE = "url-credentials"

# Query (or fragment) parameters that carry a credential, compared case-insensitively;
# any parameter ending in one of CREDENTIAL_SUFFIXES counts too.
CREDENTIAL_PARAMETERS = frozenset({
    "token", "access_token", "private_token", "id_token", "refresh_token", "auth", "authorization",
    "password", "passwd", "pwd", "secret", "client_secret", "api_key", "apikey", "api-key", "key",
    "sig", "signature", "x-amz-signature", "x-amz-credential", "x-amz-security-token",
    "x-goog-signature", "x-goog-credential", "jwt", "session", "sessionid",
})
CREDENTIAL_SUFFIXES = ("token", "password", "secret", "signature", "apikey", "api_key", "api-key")


def credential_problems(url: str) -> list[str]:
    """What in ``url`` is a credential, described without the secret (empty list: none)."""
    problems: list[str] = []
    try:
        parts = urlsplit(url)
    except ValueError:
        return problems
    if "://" in url:
        userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else None
    else:  # scp-like Git syntax: [user@]host:path
        head = url.split("/", 1)[0]
        userinfo = head.rpartition("@")[0] if "@" in head else None
    if userinfo is not None:
        user, has_password, _ = userinfo.partition(":")
        if has_password:
            problems.append(f"a password in its user info ('{user}:***@')")
        elif parts.scheme in ("http", "https"):
            # Git hosts take a token as the user name (https://<token>@github.com/...).
            problems.append("user info ('***@'), which HTTP Git hosts and API servers read as a token")
    for source in (parts.query, parts.fragment):
        for name, _value in parse_qsl(source, keep_blank_values=True):
            lowered = name.lower()
            if lowered in CREDENTIAL_PARAMETERS or lowered.endswith(CREDENTIAL_SUFFIXES):
                problems.append(f"the credential parameter '{name}=***'")
    return problems


def url_credentials(fleet: Fleet) -> Iterator[Finding]:
    urls: list[tuple[str, str, str, tuple[str, ...]]] = [
        ("spec.gitops.repoURL", "/spec/gitops/repoURL", fleet.gitops.repo_url, ())
    ]
    urls += [(f"apiServer of cluster '{c.name}'", f"{c.pointer}/apiServer", c.api_server, (c.name,)) for c in fleet.clusters]
    for what, ptr, url, clusters in urls:
        for problem in credential_problems(url):
            yield error(
                RULE,
                f"{what} carries {problem}: the URL is rendered into the committed output; remove it and keep "
                "the credential in a Secret created out of band (Argo CD repository/cluster Secret, Flux credentialsSecret)",
                fleet.source.locate(ptr),
                clusters,
            )
