// The single-page app: the route is read in the browser, the data comes from the Rust API.
document.getElementById("route").textContent = `Route: ${location.pathname}`;

async function load() {
  const todos = await (await fetch("/api/todos")).json();
  const list = document.getElementById("todos");
  list.replaceChildren(...todos.map((t) => Object.assign(document.createElement("li"), { textContent: t.title })));
}

document.getElementById("add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const title = new FormData(event.target).get("title");
  await fetch("/api/todos", { method: "POST", body: JSON.stringify({ title }) });
  event.target.reset();
  load();
});

load();
