"""The reference guide's two Python examples, as a user would paste them, against one base URL.

`/score` through `requests` and `/rerank` through `cohere.ClientV2(key, base_url=<server root>)`.
The guide prints `doc.document.text`; current Cohere clients return `document` as a dict, so the
working form reads `document["text"]` when it is one. Prints one JSON report on stdout.

usage: VLLM_API_KEY=... python guide_clients.py http://IP:PORT
"""

import json
import os
import sys

import cohere
import requests

BASE_URL = sys.argv[1]
VLLM_API_KEY = os.environ["VLLM_API_KEY"]
QUERY = "What is Deep Learning?"
DOCUMENTS = [
    "Deep learning is a subset of machine learning that uses neural networks with many layers",
    "The weather is nice today",
    "Deep learning enables computers to learn from large amounts of data",
    "I like pizza",
]


def openai_score(query, documents):
    headers = {"Authorization": f"Bearer {VLLM_API_KEY}"}
    request = {"model": "BAAI/bge-reranker-base", "text_1": query, "text_2": documents}
    response = requests.post(f"{BASE_URL}/score", json=request, headers=headers, timeout=60)
    ranked = []
    if response.status_code == 200:
        data = response.json()
        ranked = [(doc, item["score"]) for doc, item in zip(documents, data["data"])]
        ranked.sort(key=lambda x: x[1], reverse=True)
    return {"status": response.status_code, "ranked": ranked}


def document_text(doc):
    d = doc.document
    return d["text"] if isinstance(d, dict) else d.text


def cohere_rerank(query, documents):
    co = cohere.ClientV2(VLLM_API_KEY, base_url=BASE_URL)
    result = co.rerank(model="BAAI/bge-reranker-base", query=query, documents=documents)
    return {
        "results": [
            {"index": doc.index, "relevance_score": doc.relevance_score, "text": document_text(doc)}
            for doc in result.results
        ]
    }


print(json.dumps({"score": openai_score(QUERY, DOCUMENTS), "cohere": cohere_rerank(QUERY, DOCUMENTS)}))
