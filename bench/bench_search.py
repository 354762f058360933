"""search: OCR pages per minute per core beside the bare `tesseract` command on the same pages; query
latency over a million indexed documents beside the bare SQL of the query; index bytes per document.

    .venv/bin/python bench/bench_search.py [--documents 1000000] [--queries 200] [--keep]

The documents are generated: a Zipf-like draw (rank ~ random()^3) from a vocabulary of Hindi and English
words (folded, as the service stores them), 40 to 80 words each, 200 offices, 5 % Secret; each gets the
grants the service would give it (its office unless Secret, its creator). Queries go through the use case
(`usecases.search` on the repositories, as the route runs it) and, as baselines, through its SQL sent bare
with psycopg2 and through the SQL of before the bounded candidates (every match counted and ranked)."""
import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

from common import ROOT, RUN_PREFIX, database_url, percentile, psycopg_connection
from eoffice_common.db import UnitOfWork
from eoffice_common.engine import StandaloneEngine
from eoffice_common.migrations import upgrade
from eoffice_common.search import search_form
from search import extraction, testing, usecases
from search.repository import SearchUnitOfWork
from search.text import folded_words, parse_query, tsvector_literal

SERVICE_DIR = os.path.join(ROOT, "services", "search")
DATABASE = f"{RUN_PREFIX}eoffice_bench_search"
OFFICES = 200
CONSONANTS = "कखगघचछजझटठडढणतथदधनपफबभमयरलवशषसह"
SIGNS = ["", "ा", "ि", "ी", "ु", "ू", "े", "ै", "ो", "ौ", "ं"]


def cpu_seconds():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def load():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# --- OCR ------------------------------------------------------------------------------------------

def bench_ocr():
    pages = [(letter, how, pdf) for letter, how, _, pdf in testing.test_set() if how in ("clean", "noisy")]
    print(f"OCR: {len(pages)} pages (4 letters, clean and noisy, 300 dpi image PDFs); load {load()}", flush=True)
    started_cpu, started = cpu_seconds(), time.perf_counter()
    for _, _, pdf in pages:
        extraction.plan(pdf, "application/pdf", 100)
        extraction.ocr_page(pdf, 0)
    pipeline = (cpu_seconds() - started_cpu, time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as folder:
        images = []
        for number, (_, _, pdf) in enumerate(pages):
            path = os.path.join(folder, f"{number}.png")
            extraction.page_image(pdf, 0).save(path)
            images.append(path)
        started_cpu, started = cpu_seconds(), time.perf_counter()
        for path in images:
            subprocess.run(["tesseract", path, "stdout", "-l", "hin+eng"], capture_output=True, check=True,
                           env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        bare = (cpu_seconds() - started_cpu, time.perf_counter() - started)
    rows = []
    for name, (cpu, wall) in (("search pipeline (PDF render, orientation, OCR)", pipeline), ("bare `tesseract -l hin+eng` on the PNGs", bare)):
        rows.append((name, len(pages) / cpu * 60, len(pages) / wall * 60, cpu / len(pages)))
        print(f"  {name}: {len(pages) / cpu * 60:.1f} pages/min per core (CPU {cpu / len(pages):.2f} s a page), "
              f"{len(pages) / wall * 60:.1f} pages/min wall", flush=True)
    print(f"  ratio (pipeline / bare, per core): {rows[0][1] / rows[1][1]:.2f}; load {load()}")
    return rows


# --- documents ------------------------------------------------------------------------------------

def vocabulary(size, seed=11):
    """Folded Hindi words (two to four syllables) and English ones, mixed, each once."""
    rng, words = random.Random(seed), {}
    while len(words) < size:
        if rng.random() < 0.6:
            word = "".join(rng.choice(CONSONANTS) + rng.choice(SIGNS) for _ in range(rng.randint(2, 4)))
        else:
            word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9)))
        folded = search_form(word)
        if folded_words(folded) == [folded]:
            words[folded] = True
    return list(words)


def generate(connection, documents, words, first=1):
    cursor = connection.cursor()
    cursor.execute("SET jit = off")  # compiling the generator's plan costs more than running it
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_words (id int PRIMARY KEY, word text NOT NULL)")
    cursor.execute("TRUNCATE bench_words")
    cursor.execute("INSERT INTO bench_words SELECT n - 1, w FROM unnest(%s::text[]) WITH ORDINALITY AS t(w, n)", (words,))
    cursor.execute("ANALYZE bench_words")
    batch = 50_000
    for start in range(first, documents + 1, batch):
        end = min(documents, start + batch - 1)
        cursor.execute("""
            INSERT INTO documents (id, item_kind, item_id, kind, source, title, number, office, classification, dated,
                                   status, body, page_starts, pages, created_at, indexed_at, tokens, granted)
            SELECT g, 'receipt', 'r' || g, (ARRAY['receipt', 'receipt', 'file', 'note', 'draft'])[1 + g %% 5], 'scan:1',
                   'subject ' || g, g || '/2026/OFF-' || (g %% %(offices)s), 'OFF-' || (g %% %(offices)s),
                   CASE WHEN g %% 20 = 0 THEN 'secret' WHEN g %% 7 = 0 THEN 'confidential' ELSE 'normal' END,
                   DATE '2020-01-01' + (g %% 2500), 'indexed', body, '[0]', 1, now(), now(), to_tsvector('simple', body),
                   array_remove(ARRAY[CASE WHEN g %% 20 <> 0 THEN 'o:OFF-' || (g %% %(offices)s) END,
                                      'u:user' || (g %% 20) || '.OFF-' || (g %% %(offices)s)], NULL)
            FROM generate_series(%(start)s, %(end)s) g,
                 LATERAL (SELECT string_agg(w.word, ' ') AS body
                          FROM (SELECT floor(power(random(), 3) * %(size)s)::int AS id
                                FROM generate_series(1, 40 + (g::bigint * 7919) %% 41) k) drawn
                          JOIN bench_words w ON w.id = drawn.id) text
        """, {"start": start, "end": end, "offices": OFFICES, "size": len(words)})
        cursor.execute("""
            INSERT INTO grants (document_id, "grant", opens_kind, opens_id)
            SELECT id, 'o:' || office, 'receipt', item_id FROM documents WHERE id BETWEEN %(start)s AND %(end)s AND classification <> 'secret'
            UNION ALL
            SELECT id, 'u:user' || (id %% 20) || '.' || office, 'receipt', item_id FROM documents WHERE id BETWEEN %(start)s AND %(end)s
        """, {"start": start, "end": end})
        print(f"  {end:,} documents ({load()})", flush=True)
    cursor.execute("SELECT setval('documents_id_seq', %s)", (documents,))
    cursor.execute("VACUUM ANALYZE documents")
    cursor.execute("VACUUM ANALYZE grants")


def check_tokens_match_the_service(connection):
    """The generator's to_tsvector('simple') gives the lexemes the service writes itself (text.py)."""
    cursor = connection.cursor()
    cursor.execute("SELECT body, tokens::text FROM documents ORDER BY id LIMIT 20")
    for body, tokens in cursor.fetchall():
        assert sorted(tokens.split(" ")) == sorted(tsvector_literal(body).split(" ")), body[:80]


def sizes(connection, documents):
    cursor = connection.cursor()
    cursor.execute("""SELECT pg_total_relation_size('documents'), pg_relation_size('ix_documents_tokens'),
                              pg_total_relation_size('grants'), pg_relation_size('documents')""")
    total_documents, gin, grants, heap = cursor.fetchone()
    cursor.execute("SELECT avg(length(body)), avg(array_length(string_to_array(body, ' '), 1)) FROM documents WHERE id <= 10000")
    chars, words = cursor.fetchone()
    return {"documents+indexes": total_documents / documents, "of which GIN word index": gin / documents,
            "grants+index": grants / documents, "heap": heap / documents, "text chars": float(chars), "words": float(words)}


# --- queries --------------------------------------------------------------------------------------

def queries(words):
    """(name, typed query, filters) of increasing rarity; words by rank in the Zipf-like draw."""
    return [
        ("one common word (rank 1)", words[0], {}),
        ("one mid word (rank 100)", words[100], {}),
        ("one rare word (rank 5,000)", words[5000], {}),
        ("two words (ranks 10 and 50)", f"{words[10]} {words[50]}", {}),
        ('a phrase of two common words', f'"{words[0]} {words[1]}"', {}),
        ("common word, type note, 2024", words[0], {"types": ("note",), "date_from": "2024-01-01", "date_to": "2024-12-31"}),
    ]


# The use case's two statements: at most 1,001 matching documents as the index yields them, ranked
# (usecases.MAX_CANDIDATES), then the page of 20 shown with what each opens. The words are an index
# condition, or checked on the documents the grants pick when they are common (repository.py).
INDEXED_WORDS, CHECKED_WORDS = "d.tokens @@ CAST(%(q)s AS tsquery)", "(d.tokens @@ CAST(%(q)s AS tsquery)) IS TRUE"
BARE_SQL = """
SELECT d.id, d.item_kind, d.item_id, d.kind, d.source, d.classification, ts_rank(d.tokens, CAST(%(q)s AS tsquery)) AS rank
  FROM documents d
 WHERE {match} AND d.body IS NOT NULL AND d.granted && %(grants)s::text[] {filters}
 LIMIT 1001;
SELECT d.id, d.item_kind, d.item_id, d.kind, d.title, d.number, d.dated, d.body, d.page_starts, d.classification, d.source,
       (SELECT g.opens_kind FROM grants g WHERE g.document_id = d.id AND g."grant" = ANY(%(grants)s) ORDER BY g.opens_kind DESC LIMIT 1),
       (SELECT g.opens_id FROM grants g WHERE g.document_id = d.id AND g."grant" = ANY(%(grants)s) ORDER BY g.opens_kind DESC LIMIT 1)
  FROM documents d WHERE d.id = ANY(%(page)s::int[]);
"""
# Before the bounded candidates (docs/decisions/0103): every visible match counted and faceted, then ranked.
EXACT_SQL = """
SELECT d.kind, d.classification, count(*) FROM documents d
 WHERE d.tokens @@ CAST(%(q)s AS tsquery) AND d.status = 'indexed' AND d.granted && %(grants)s::text[] {filters}
 GROUP BY d.kind, d.classification;
SELECT d.id, d.kind, d.title, d.number, d.dated, d.body, d.page_starts, d.classification, d.source,
       (SELECT g.opens_kind FROM grants g WHERE g.document_id = d.id AND g."grant" = ANY(%(grants)s) ORDER BY g.opens_kind DESC LIMIT 1),
       (SELECT g.opens_id FROM grants g WHERE g.document_id = d.id AND g."grant" = ANY(%(grants)s) ORDER BY g.opens_kind DESC LIMIT 1),
       ts_rank(d.tokens, CAST(%(q)s AS tsquery)) AS rank
  FROM documents d
 WHERE d.tokens @@ CAST(%(q)s AS tsquery) AND d.status = 'indexed' AND d.granted && %(grants)s::text[] {filters}
 ORDER BY rank DESC, d.id DESC LIMIT 20 OFFSET 0;
"""


def timed_statements(cursor, sql, params):
    started = time.perf_counter()
    for statement in sql.split(";")[:-1]:
        cursor.execute(statement, params)
        cursor.fetchall()
    return time.perf_counter() - started


def bare_filters(filters):
    parts = []
    if filters.get("types"):
        parts.append("AND d.kind IN %(types)s")
    if filters.get("date_from"):
        parts.append("AND d.dated >= %(date_from)s AND d.dated <= %(date_to)s")
    return " ".join(parts)


def searched(engine, command, through, totals):
    started = time.perf_counter()
    with UnitOfWork(engine, actor=command.user, correlation_id=None) as uow:
        answer = usecases.search(command, SearchUnitOfWork(uow, datetime.now(timezone.utc)))
    through.append(time.perf_counter() - started)
    totals.append((answer["total"], answer["bounded"]))


def sent_bare(cursor, sql, params, took):
    """The use case's statements: the candidates, ranked here, then the page of the best 20."""
    candidates, page = sql.split(";")[:2]
    started = time.perf_counter()
    cursor.execute(candidates, params)
    ranked = sorted(cursor.fetchall(), key=lambda row: (row[-1], row[0]), reverse=True)
    cursor.execute(page, {**params, "page": [row[0] for row in ranked[:20]]})
    cursor.fetchall()
    took.append(time.perf_counter() - started)


def sent_exact(cursor, sql, params, took):
    took.append(timed_statements(cursor, sql, params))


def bench_queries(count, words):
    engine = StandaloneEngine(database_url(DATABASE))
    connection = psycopg_connection(DATABASE)
    cursor = connection.cursor()
    rng = random.Random(5)
    rows = []
    for name, typed, filters in queries(words):
        callers = [(f"user{rng.randrange(20)}.OFF-{office}", f"OFF-{office}") for office in (rng.randrange(OFFICES) for _ in range(count))]
        through, bare, exact, totals = [], [], [], []
        for number, (user, office) in enumerate(callers):
            command = usecases.SearchCommand(user=user, office=office, q=typed, types=filters.get("types", ()),
                                             date_from=filters.get("date_from"), date_to=filters.get("date_to"))
            params = {"q": parse_query(typed).tsquery(), "grants": [f"u:{user}", f"o:{office}", f"u:{user}|o:{office}"],
                      "types": tuple(filters.get("types", ())), "date_from": filters.get("date_from"), "date_to": filters.get("date_to")}
            with UnitOfWork(engine, actor=user, correlation_id=None) as uow:
                common = SearchUnitOfWork(uow, datetime.now(timezone.utc)).documents.words_less_selective_than_grants(
                    parse_query(typed), tuple(params["grants"]))
            match = CHECKED_WORDS if common else INDEXED_WORDS
            ways = [(searched, (engine, command, through, totals)),
                    (sent_bare, (cursor, BARE_SQL.format(filters=bare_filters(filters), match=match), params, bare)),
                    (sent_exact, (cursor, EXACT_SQL.format(filters=bare_filters(filters)), params, exact))]
            # Whichever runs first for a caller reads the pages from disk for the others: each goes first in turn.
            for way, arguments in ways[number % 3:] + ways[:number % 3]:
                way(*arguments)
        bounded = sum(1 for _, over in totals if over)
        row = (name, sum(total for total, _ in totals) / len(totals), bounded, percentile(through, 0.5) * 1000,
               percentile(through, 0.95) * 1000, percentile(bare, 0.5) * 1000, percentile(bare, 0.95) * 1000,
               percentile(exact, 0.5) * 1000, percentile(exact, 0.95) * 1000)
        rows.append(row)
        print(f"  {name}: {row[1]:,.0f} results counted on average ({bounded} of {len(totals)} bounded at 1,000); "
              f"search p50 {row[3]:.1f} ms, p95 {row[4]:.1f} ms; its bare SQL p50 {row[5]:.1f} ms, p95 {row[6]:.1f} ms; "
              f"exact SQL of before p50 {row[7]:.1f} ms, p95 {row[8]:.1f} ms; load {load()}", flush=True)
    connection.close()
    engine.engine.dispose()
    return rows


def sqlite_bytes_per_document(documents, words):
    """The embedded default: documents written through the repository into SQLite (FTS5)."""
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "search.db")
        upgrade(SERVICE_DIR, f"sqlite:///{path}")
        engine = StandaloneEngine(f"sqlite:///{path}")
        now = datetime.now(timezone.utc)
        with UnitOfWork(engine, actor="bench", correlation_id=None) as uow:
            repository = SearchUnitOfWork(uow, now).documents
            from search.model import Item

            for number in range(documents):
                item = Item("receipt", f"r{number}", "OFF-1", "normal", f"{number}/2026/OFF-1")
                body = " ".join(words[min(len(words) - 1, int(rng.random() ** 3 * len(words)))] for _ in range(rng.randint(40, 80)))
                document = repository.upsert(item, "receipt", "scan:1", now, title="subject", body=body)
                repository.grant([document], {"o:OFF-1": ("receipt", item.id), f"u:user{number % 20}": ("receipt", item.id)})
            uow.commit()
        engine.engine.dispose()
        subprocess.run(["sqlite3", path, "VACUUM"], check=False, capture_output=True)
        return os.path.getsize(path) / documents


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the generated database")
    parser.add_argument("--skip-ocr", action="store_true")
    parser.add_argument("--ocr-only", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    words = vocabulary(20_000)
    if not args.skip_ocr:
        bench_ocr()
    if args.ocr_only:
        return 0
    admin = psycopg_connection("postgres")
    cursor = admin.cursor()
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
    reuse = args.keep and cursor.fetchone() is not None
    if not reuse:
        cursor.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{DATABASE}" ENCODING \'UTF8\' TEMPLATE template0')
    upgrade(SERVICE_DIR, database_url(DATABASE))  # a kept database gains the newer migrations
    connection = psycopg_connection(DATABASE)
    counting = connection.cursor()
    counting.execute("SELECT coalesce(max(id), 0) FROM documents")
    have = counting.fetchone()[0]
    if have < args.documents:
        print(f"generating {args.documents - have:,} documents (after {have:,}); load {load()}", flush=True)
        started = time.perf_counter()
        generate(connection, args.documents, words, first=have + 1)
        print(f"  generated and analysed in {time.perf_counter() - started:.0f} s", flush=True)
    check_tokens_match_the_service(connection)
    measured = sizes(connection, args.documents)
    print("index bytes per document (PostgreSQL): " + ", ".join(f"{k} {v:,.0f}" for k, v in measured.items()), flush=True)
    connection.close()
    print(f"queries ({args.queries} callers each, a random user of a random office of {OFFICES}):", flush=True)
    bench_queries(args.queries, words)
    if not args.skip_sqlite:
        print(f"index bytes per document (SQLite FTS5, 20,000 documents through the repository): "
              f"{sqlite_bytes_per_document(20_000, words):,.0f}", flush=True)
    if not args.keep:
        cursor.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin.close()


if __name__ == "__main__":
    sys.exit(main())
