/** Replaces & < > " ' with their entities, so text can go into content and quoted attributes. */
export function escapeHtml(value) {
  // TODO
  return String(value);
}

/**
 * Tagged template: html`<p>${text}</p>`. Escapes every interpolated value, except the
 * results of other html`` calls, which are inserted as they are. Arrays are joined with
 * nothing between them; null, undefined and false insert nothing. String(result) is the HTML.
 */
export function html(strings, ...values) {
  // TODO: a plain string cannot tell "already safe markup" from "text a user typed".
  return strings.reduce((out, string, i) => out + values[i - 1] + string);
}

function layout(title, body) {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title></head>
<body>
${body}
</body>
</html>`;
}

/** GET /: posts is [{ id, title, author }]. */
export function postListPage(posts) {
  // TODO: <h1>Posts</h1>, then a <ul> of <li><a href="/posts/ID">TITLE</a> by AUTHOR</li>,
  //       or <p>No posts yet.</p>
  return layout('Posts', html`<h1>Posts</h1>`);
}

/** GET /posts/:id, and the same page again (with error and form) when a comment is invalid. */
export function postPage(post, { error, form = {} } = {}) {
  // TODO
  return layout(post.title, html`<h1>TODO</h1>`);
}

/** The 404 page for an unknown post id. */
export function notFoundPage(id) {
  // TODO
  return layout('Not found', html`<h1>TODO</h1>`);
}
