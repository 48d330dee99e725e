"""The demo widget page the API serves at ``/demo``: pick a site and an article, see its related articles and
a reader's online recommendations, and the ``rec_impression`` event the widget would send.

Every value that comes from the API or the URL reaches the page through ``textContent`` / ``value`` (never
``innerHTML``), the page has no inline script, and the API sends a Content-Security-Policy allowing scripts
from itself only: an article id such as ``<img src=x onerror=...>`` shows as text.
``/demo?site=herald&article=123&reader=r1&recent=122,121`` fills the form and loads at once.
"""

from __future__ import annotations

DEMO_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>article-recs demo widget</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
  form { display: flex; flex-wrap: wrap; gap: .6em 1.2em; align-items: end; margin-bottom: 1.5em; }
  label { display: flex; flex-direction: column; font-size: .85em; color: #555; }
  input, select { font: inherit; padding: .2em .4em; }
  .widgets { display: grid; grid-template-columns: 1fr 1fr; gap: 2em; }
  .meta { font-size: .8em; color: #666; word-break: break-all; }
  .error { color: #a00; }
  ol li { margin: .2em 0; }
  .source { color: #888; font-size: .8em; }
  pre { background: #f4f4f4; padding: .6em; overflow-x: auto; font-size: .8em; }
</style>
</head>
<body>
<h1>article-recs: demo widget</h1>
<p>Reads the serving API of this server (current models only). Lists are what a widget on an article page
would show; the event below is what it would send to the Snowplow collector.</p>
<form id="form">
  <label>site <select id="site" name="site"></select></label>
  <label>article id <input id="article" name="article" size="14"></label>
  <label>reader (domain_userid) <input id="reader" name="reader" size="38"></label>
  <label>recent reads, newest first <input id="recent" name="recent" size="20"></label>
  <button type="submit" id="show">Show</button>
</form>
<p id="status" class="meta"></p>
<div class="widgets">
  <section>
    <h2>Related articles</h2>
    <p class="meta" id="related-meta"></p>
    <ol id="related"></ol>
  </section>
  <section>
    <h2>For this reader</h2>
    <p class="meta" id="online-meta"></p>
    <ol id="online"></ol>
  </section>
</div>
<h3>rec_impression the widget sends (related list)</h3>
<pre id="impression"></pre>
<script src="/demo/demo.js"></script>
</body>
</html>
"""

DEMO_JS = r"""'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(window.location.search);

  function setText(id, text) { $(id).textContent = text; }

  function meta(body) {
    const parts = ['strategy ' + body.strategy, 'model ' + body.model_id, 'rec_id ' + body.rec_id];
    if (body.arm) parts.push('arm ' + body.arm);
    if (body.fallback) parts.push('fallback: ' + (body.fallback_reason || 'yes'));
    return parts.join(' \u00b7 ');
  }

  function renderList(id, body) {
    const list = $(id);
    list.replaceChildren();
    for (const item of body.items) {
      const li = document.createElement('li');
      li.className = 'rec';
      li.dataset.articleId = item.article_id;
      const name = document.createElement('span');
      name.className = 'article';
      name.textContent = item.article_id;
      li.appendChild(name);
      if (item.source) {
        const source = document.createElement('span');
        source.className = 'source';
        source.textContent = ' ' + item.source;
        li.appendChild(source);
      }
      list.appendChild(li);
    }
  }

  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: 'application/json' } });
    const body = await response.json();
    if (!response.ok) throw new Error(response.status + ' ' + body.error + ': ' + body.message);
    return body;
  }

  function enc(value) { return encodeURIComponent(value); }

  async function show() {
    const site = $('site').value;
    const article = $('article').value.trim();
    const reader = $('reader').value.trim();
    const recent = $('recent').value.trim();
    setText('status', 'loading\u2026');
    $('status').className = 'meta';
    try {
      let url = '/v1/sites/' + enc(site) + '/articles/' + enc(article) + '/related?n=10';
      if (reader) url += '&domain_userid=' + enc(reader);
      const related = await getJson(url);
      renderList('related', related);
      setText('related-meta', meta(related));
      setText('impression', JSON.stringify({
        schema: 'iglu:com.article_recs/rec_impression/jsonschema/1-0-0',
        data: {
          rec_id: related.rec_id, model_id: related.model_id, strategy: related.strategy,
          arm: related.arm, widget: 'related', source_article_id: article,
          article_ids: related.items.map((i) => i.article_id),
          positions: related.items.map((i) => i.rank),
        },
      }, null, 2));
      if (reader) {
        const onlineRecent = [article].concat(recent ? recent.split(',') : []).join(',');
        const online = await getJson('/v1/sites/' + enc(site) + '/readers/' + enc(reader) +
          '/recommendations?n=10&recent=' + enc(onlineRecent));
        renderList('online', online);
        setText('online-meta', meta(online));
      } else {
        $('online').replaceChildren();
        setText('online-meta', 'give a reader id to see their online recommendations');
      }
      setText('status', 'ok');
      document.body.dataset.loaded = 'ok';
    } catch (error) {
      setText('status', String(error.message || error));
      $('status').className = 'error';
      document.body.dataset.loaded = 'error';
    }
  }

  async function init() {
    try {
      const body = await getJson('/v1/models');
      const sites = [...new Set(body.models.map((m) => m.site_id))];
      const select = $('site');
      for (const site of sites) {
        const option = document.createElement('option');
        option.value = site;
        option.textContent = site;
        select.appendChild(option);
      }
      if (params.get('site') && sites.includes(params.get('site'))) select.value = params.get('site');
      $('article').value = params.get('article') || '';
      $('reader').value = params.get('reader') || '';
      $('recent').value = params.get('recent') || '';
      if (!$('article').value && select.value) {
        const popular = await getJson('/v1/sites/' + enc(select.value) + '/popular?n=1');
        if (popular.items.length) $('article').value = popular.items[0].article_id;
      }
      if ($('article').value) await show();
    } catch (error) {
      setText('status', String(error.message || error));
      $('status').className = 'error';
      document.body.dataset.loaded = 'error';
    }
  }

  $('form').addEventListener('submit', (event) => { event.preventDefault(); show(); });
  init();
})();
"""
