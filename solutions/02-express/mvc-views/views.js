const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (char) => ENTITIES[char]);
}

/** Markup that is already safe: html`` results are inserted as they are, not escaped again. */
class SafeHtml {
  constructor(markup) {
    this.markup = markup;
  }
  toString() {
    return this.markup;
  }
}

function render(value) {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.markup;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(value);
}

/** Escapes every interpolated value unless it is itself an html`` result. */
export function html(strings, ...values) {
  return new SafeHtml(strings.reduce((out, string, i) => out + render(values[i - 1]) + string));
}

const postUrl = (id) => `/posts/${encodeURIComponent(id)}`;

function layout(title, body) {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title></head>
<body>
${body}
</body>
</html>`;
}

export function postListPage(posts) {
  const list = posts.length
    ? html`<ul>${posts.map((post) => html`<li><a href="${postUrl(post.id)}">${post.title}</a> by ${post.author}</li>`)}</ul>`
    : html`<p>No posts yet.</p>`;
  return layout('Posts', html`<h1>Posts</h1>\n${list}`);
}

export function postPage(post, { error, form = {} } = {}) {
  const comments = post.comments.map((c) => html`<li>${c.author}: ${c.text}</li>`);
  return layout(
    post.title,
    html`<article>
<h1>${post.title}</h1>
<p class="author">by ${post.author}</p>
<p>${post.body}</p>
</article>
<h2>Comments</h2>
<ul>${comments}</ul>
${error && html`<p class="error">${error}</p>`}
<form method="post" action="${postUrl(post.id)}/comments">
<label>Name <input name="author" value="${form.author ?? ''}"></label>
<label>Comment <textarea name="text">${form.text ?? ''}</textarea></label>
<button type="submit">Send</button>
</form>`,
  );
}

export function notFoundPage(id) {
  return layout('Not found', html`<h1>Post not found</h1>\n<p>No post with id ${id}.</p>`);
}
