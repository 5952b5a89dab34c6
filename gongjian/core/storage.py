"""Static files in production: whitenoise's compressed, hashed-name storage, minus source maps.

Vendor bundles (Tabler, ECharts) reference ``.map`` files that npm packages do not always ship;
Django's manifest storage would then refuse the whole ``collectstatic``. Source maps are a
developer aid, so their comments are left as they are instead of being rewritten to hashed names;
``url()`` and ``@import`` in CSS are still rewritten, so every page asset gets a cache-busting name.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    patterns = (
        (
            "*.css",
            (
                r"""(?P<matched>url\(['"]{0,1}\s*(?P<url>.*?)["']{0,1}\))""",
                (r"""(?P<matched>@import\s*["']\s*(?P<url>.*?)["'])""", """@import url("%(url)s")"""),
            ),
        ),
    )
