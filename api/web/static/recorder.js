// The recorder's visits, kept on the phone until the server has answered them.
// Each visit is queued in IndexedDB with its own Idempotency-Key and sent to the API's
// POST /api/v1/visits; a retry with the same key never records it twice. A refusal keeps
// the visit, with the server's reason, until the recorder drops it. Nothing here decides
// a rule: the server checks every visit.
(function () {
  "use strict";
  var DB = "exit-tracker", STORE = "visits";
  var words = document.getElementById("words").dataset;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var form = document.getElementById("visit-form");
  var syncing = false;

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "key" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function store(mode, act) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode), result = act(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && result.result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  var all = function () { return store("readonly", function (s) { return s.getAll(); }); };
  var put = function (item) { return store("readwrite", function (s) { return s.put(item); }); };
  var drop = function (key) { return store("readwrite", function (s) { return s.delete(key); }); };

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16); crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function show() {
    return all().then(function (items) {
      var list = document.getElementById("queue");
      list.textContent = "";
      document.getElementById("queue-section").hidden = items.length === 0;
      document.getElementById("net-state").textContent = navigator.onLine ? "" : "(" + words.offline + ")";
      items.sort(function (a, b) { return a.created - b.created; });
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "queued " + item.state;
        li.dataset.key = item.key;
        var what = document.createElement("span");
        what.textContent = item.label;
        var state = document.createElement("span");
        state.className = "state";
        state.textContent = item.state === "refused" ? words.refused + ":" + item.reason : words.pending;
        li.append(what, " ", state);
        if (item.state === "refused") {
          var button = document.createElement("button");
          button.type = "button"; button.className = "link"; button.textContent = words.drop;
          button.onclick = function () { drop(item.key).then(show); };
          li.append(" ", button);
        }
        list.append(li);
      });
    });
  }

  function refreshDue() {
    if (window.htmx) htmx.ajax("GET", "/recorder/due", { target: "#due", swap: "innerHTML" });
  }

  function send(item) {
    return fetch("/api/v1/visits", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Idempotency-Key": item.key, "X-CSRF-Token": csrf },
      body: JSON.stringify(item.body),
    }).then(function (response) {
      if (response.ok) return drop(item.key).then(function () { return "sent"; });
      if (response.status === 401) { item.reason = words.signin; return "stop"; }
      if (response.status >= 500) return "stop";  // busy: try again later, keep it
      return response.json().catch(function () { return {}; }).then(function (problem) {
        item.state = "refused";
        item.reason = (problem.detail || response.statusText) + (problem.code ? " (" + problem.code + ")" : "");
        return put(item).then(function () { return "refused"; });
      });
    }, function () { return "stop"; });  // no network: it stays queued
  }

  function sync() {
    if (syncing) return Promise.resolve();
    syncing = true;
    var sent = 0;
    return all().then(function (items) {
      var pending = items.filter(function (i) { return i.state === "pending"; }).sort(function (a, b) { return a.created - b.created; });
      var next = function (index) {
        if (index >= pending.length) return null;
        return send(pending[index]).then(function (outcome) {
          if (outcome === "sent") sent += 1;
          return outcome === "stop" ? null : next(index + 1);
        });
      };
      return next(0);
    }).then(function () {
      syncing = false;
      if (sent) refreshDue();
      return show();
    }, function () { syncing = false; });
  }

  function moment(local) {
    // The form's Beijing wall-clock time with the rule book zone's offset, as the API wants it.
    return local.length === 16 ? local + ":00" + form.dataset.offset : local + form.dataset.offset;
  }

  function choose(kind, id, name, level) {
    if (kind === "visitor") {
      form.visitor_id.value = id;
    } else {
      form.target_id.value = id;
      form.target_level.value = level || "household";
    }
    form.querySelector('[data-show="' + kind + '"]').textContent = name || "";
    form.querySelector('[data-finder="' + kind + '"]').hidden = Boolean(id);
  }

  function openForm(row) {
    form.reset();
    document.getElementById("visit-form-card").hidden = false;
    choose("visitor", row ? row.dataset.visitorId : "", row ? row.dataset.visitorName : "");
    choose("target", row ? row.dataset.targetId : "", row ? row.dataset.targetName : "", row ? row.dataset.targetLevel : "");
    form.querySelector('[data-show="coords"]').textContent = "";
    document.getElementById("visit-form-card").scrollIntoView({ block: "start" });
  }

  document.addEventListener("click", function (event) {
    var row = event.target.closest(".due-row");
    if (row) return openForm(row);
    var pick = event.target.closest(".pick");
    if (pick) return choose(pick.dataset.pick, pick.dataset.id, pick.dataset.name, pick.dataset.level);
    var change = event.target.closest("[data-change]");
    if (change) form.querySelector('[data-finder="' + change.dataset.change + '"]').hidden = false;
  });
  document.getElementById("other-visit").onclick = function () { openForm(null); };
  document.getElementById("cancel").onclick = function () { document.getElementById("visit-form-card").hidden = true; };
  document.getElementById("locate").onclick = function () {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (position) {
      form.latitude.value = position.coords.latitude.toFixed(6);
      form.longitude.value = position.coords.longitude.toFixed(6);
      form.querySelector('[data-show="coords"]').textContent = form.latitude.value + ", " + form.longitude.value;
    });
  };

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!form.visitor_id.value || !form.target_id.value) return;
    var body = {
      visitor_id: form.visitor_id.value,
      target_level: form.target_level.value,
      target_id: form.target_id.value,
      occurred_at: moment(form.occurred_at.value),
    };
    if (form.notes.value.trim()) body.notes = form.notes.value.trim();
    if (form.latitude.value) { body.latitude = Number(form.latitude.value); body.longitude = Number(form.longitude.value); }
    var label = form.querySelector('[data-show="visitor"]').textContent + " → " + form.querySelector('[data-show="target"]').textContent + " · " + form.occurred_at.value.replace("T", " ");
    put({ key: newKey(), body: body, label: label, state: "pending", reason: "", created: Date.now() })
      .then(function () { document.getElementById("visit-form-card").hidden = true; return show(); })
      .then(sync);
  });

  window.addEventListener("online", sync);
  window.addEventListener("offline", show);
  setInterval(sync, 15000);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(function () {});
  show().then(sync);
})();
