"""How fast the builtin renderer prints invoices, in PDFs per second, script by script.

`measure_builtin(documents, seconds)` is the figure other benchmarks compare with (the Chromium
renderer's, for one); `run()` reports, for `python -m bench`, each script's rate and its ratio to
the same invoices with plain ASCII names, which shows whether a script costs more to print. The
former cp1252 writer (about 2,200 PDFs/s on the 2-core development machine, printing "?" for most
of these names) is gone, so it is no longer a baseline: its figure is kept in the renderer's
docstring. `python -m bench.bench_builtin_renderer` prints the rates alone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from bench.harness import Comparison
from billtrack.adapters.builtin_pdf.renderer import BuiltinPdfRenderer
from billtrack.ports.rendering import InvoiceDocument, Issuer

# (employee name, department, project) by script: what each invoice of a run prints.
NAMES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "ascii": (
        ("Ada Lovelace", "Engineering", "Analytical Engine"),
        ("Grace Hopper", "Compilers", "FLOW-MATIC"),
        ("Alan Turing", "Research", "Automatic Computing Engine"),
    ),
    "latin": (
        ("Zażółć Gęślą Jaźń", "Księgowość", "Wdrożenie systemu"),
        ("Nguyễn Thị Minh Khai", "Kế toán", "Dự án Hà Nội"),
        ("Łukasz Dvořák-Çelik", "Vývoj", "Şirket içi yazılım"),  # noqa: RUF001 (the Turkish dotless i)
    ),
    "cyrillic": (
        ("Дмитро Шевченко", "Бухгалтерія", "Проєкт «Київ»"),
        ("Ђорђе Јовановић", "Развој", "Пројекат Београд"),
        ("Анна Кузнецова", "Разработка", "Система учёта"),
    ),
    "greek": (
        ("Γιώργος Παπαδόπουλος", "Λογιστήριο", "Έργο Αθήνα"),
        ("Ελένη Κωνσταντίνου", "Ανάπτυξη", "Σύστημα πληρωμών"),
        ("Νίκος Αλεξίου", "Έρευνα", "Πλατφόρμα τιμολόγησης"),
    ),
}
BASELINE_SCRIPT = "ascii"
ROUND_SIZE = 30
ISSUER = Issuer(name="Acme Europe GmbH", address="Hauptstraße 1\n10115 Berlin\nGermany")


def documents(script: str) -> list[InvoiceDocument]:
    """Invoices of a full 31-day month, every day logged, one per name of `script`."""
    first = date(2024, 10, 1)
    workdays = tuple(
        (first + timedelta(days=offset), Decimal("7.50") if offset % 3 else Decimal("8.25"))
        for offset in range(31)
    )
    return [
        InvoiceDocument(
            number=f"2024-{index + 1:06d}",
            issue_date=date(2024, 11, 4),
            period_label="October 2024",
            employee_name=name,
            employee_email=f"employee{index + 1}@example.com",
            department=department,
            project=project,
            salary=Decimal("4321.09"),
            weekdays=23,
            total_hours=Decimal("240.75"),
            hourly_rate=Decimal("23.4842"),
            amount=Decimal("5653.82"),
            workdays=workdays,
            issuer=ISSUER,
        )
        for index, (name, department, project) in enumerate(NAMES[script])
    ]


def measure_builtin(documents: Sequence[InvoiceDocument], seconds: float) -> float:
    """PDFs per second the builtin renderer prints `documents` at, in one process and thread.

    Rendering goes on for `seconds` in short rounds of some 30 PDFs, and the best round counts:
    on a shared machine the best round is the one least disturbed. Each document is rendered
    once first, so the fonts are read before timing starts."""
    renderer = BuiltinPdfRenderer()
    for document in documents:
        renderer.render(document)
    loops = max(1, ROUND_SIZE // len(documents))
    best = 0.0
    deadline = time.perf_counter() + seconds
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            for document in documents:
                renderer.render(document)
        elapsed = time.perf_counter() - start
        best = max(best, loops * len(documents) / elapsed)
        if time.perf_counter() >= deadline:
            return best


def run(seconds_per_script: float = 2.0, rounds: int = 8) -> list[Comparison]:
    """Each script's rate against the ASCII names', measured in alternating rounds, as a
    `Comparison` of seconds per PDF (so the ratio is how much longer a PDF of that script takes)."""
    baseline_documents = documents(BASELINE_SCRIPT)
    comparisons = []
    for script in NAMES:
        if script == BASELINE_SCRIPT:
            continue
        candidate_documents = documents(script)
        baseline_rate = candidate_rate = 0.0
        share = seconds_per_script / rounds / 2
        for _ in range(rounds):
            baseline_rate = max(baseline_rate, measure_builtin(baseline_documents, share))
            candidate_rate = max(candidate_rate, measure_builtin(candidate_documents, share))
        comparisons.append(
            Comparison(
                name=f"builtin PDF, {script}: {candidate_rate:,.0f} PDFs/s",
                baseline=f"{BASELINE_SCRIPT} names: {baseline_rate:,.0f} PDFs/s",
                baseline_seconds=1 / baseline_rate,
                candidate_seconds=1 / candidate_rate,
            )
        )
    return comparisons


def main() -> None:
    for script in NAMES:
        rate = measure_builtin(documents(script), seconds=2.0)
        size = max(len(BuiltinPdfRenderer().render(d)) for d in documents(script))
        print(f"builtin renderer, {script:9} names: {rate:7,.0f} PDFs/s, up to {size:,} bytes")


if __name__ == "__main__":
    main()
