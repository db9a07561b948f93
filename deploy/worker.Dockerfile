# The render worker's Lambda image: AWS's Python base image (Amazon Linux 2023), a Chromium that
# Playwright drives, the fonts the invoice template names, and billtrack with the dependencies
# uv.lock pins. Built by `sam build` (template.yaml: DockerContext is the repository's root).
#
# Amazon Linux 2023 ships no Chromium, and Playwright's `install --with-deps` knows only apt-get,
# so: the shared libraries Chromium needs come from dnf, and the browser is Playwright's own
# "headless shell" build, downloaded by `playwright install --only-shell chromium` at build time
# (the revision that matches the Playwright version uv.lock pins). The headless shell prints PDFs
# as the full browser does, and is smaller.

FROM public.ecr.aws/lambda/python:3.12

# Chromium's shared libraries, fontconfig, and the fonts of invoice.css's font-family list:
# DejaVu Sans, then Noto Sans CJK for Chinese, Japanese and Korean names. Fedora renamed the CJK
# package (google-noto-sans-cjk-ttc-fonts became google-noto-sans-cjk-fonts); either is taken.
RUN dnf install -y --setopt=install_weak_deps=0 \
        alsa-lib at-spi2-atk atk cairo cups-libs dbus-libs glib2 libdrm libX11 libxcb \
        libXcomposite libXdamage libXext libXfixes libxkbcommon libXrandr libxshmfence \
        mesa-libgbm nspr nss pango \
        fontconfig dejavu-sans-fonts \
    && (dnf install -y google-noto-sans-cjk-fonts || dnf install -y google-noto-sans-cjk-ttc-fonts) \
    && dnf clean all \
    && rm -rf /var/cache/dnf \
    && fc-cache -f

# billtrack's dependencies, as uv.lock pins them (the layer is rebuilt only when the lock changes),
# then billtrack itself, into the image's Python.
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /tmp/billtrack
COPY pyproject.toml uv.lock README.md ./
RUN uv export --frozen --no-default-groups --no-emit-project --no-hashes \
        --format requirements.txt --output-file requirements.txt \
    && uv pip install --system --no-cache -r requirements.txt
COPY src ./src
RUN uv pip install --system --no-cache --no-deps . \
    && pip uninstall --yes uv \
    && rm -rf /tmp/billtrack
WORKDIR ${LAMBDA_TASK_ROOT}

# The headless shell, where billtrack's discovery and BILLTRACK_CHROMIUM_PATH find it. The
# version check fails the build when a shared library is missing, rather than the first render.
ENV PLAYWRIGHT_BROWSERS_PATH=/opt/ms-playwright
RUN python -m playwright install --only-shell chromium \
    && mkdir -p /opt/chromium \
    && ln -s /opt/ms-playwright/chromium_headless_shell-*/chrome-headless-shell-linux64/chrome-headless-shell \
        /opt/chromium/chrome-headless-shell \
    && /opt/chromium/chrome-headless-shell --version

# Lambda's file system is read-only but for /tmp: Chromium's and fontconfig's caches go there.
ENV HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    BILLTRACK_PDF_RENDERER=chromium \
    BILLTRACK_CHROMIUM_PATH=/opt/chromium/chrome-headless-shell \
    BILLTRACK_DATA_DIR=/tmp/billtrack

CMD ["billtrack.entrypoints.aws.render_worker.handler"]
