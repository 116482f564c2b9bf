// The recorder's page and its files, kept so the page opens with no network
// (its queue of visits lives in IndexedDB: static/recorder.js). Network first: a page
// from the cache is shown only when the server cannot be reached.
var CACHE = "exit-tracker-recorder-v1";
var SHELL = ["/recorder", "/static/app.css", "/static/app.js", "/static/recorder.js", "/static/vendor/htmx-2.0.8/htmx.min.js"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});
self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin) return;
  var kept = SHELL.indexOf(url.pathname) !== -1;
  if (!kept) return;
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return response;
    }, function () {
      return caches.match(url.pathname);
    })
  );
});
