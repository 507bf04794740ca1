// Loaded by every page (deferred). Nothing here is needed for a page to work: without JavaScript, times show in UTC
// and secrets stay selectable in their read-only fields.

// Times: the server renders them in UTC (it cannot know the reader's zone). Show each exact time in the reader's own
// zone on hover, and dates (over 45 days away, `data-date`) in that zone too.
(function () {
  if (typeof Intl === 'undefined') { return; }
  // dateStyle cannot be combined with timeZoneName, so the fields are spelled out.
  var exact = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
  var dateOnly = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
  document.querySelectorAll('time[datetime]').forEach(function (t) {
    var at = new Date(t.getAttribute('datetime'));
    if (isNaN(at.getTime())) { return; }
    t.title = exact.format(at);
    if (t.hasAttribute('data-date')) { t.textContent = dateOnly.format(at); }
  });
})();

// Copy buttons for values shown once (access tokens, API keys, invitation links).
document.querySelectorAll('button.copy').forEach(function (button) {
  button.addEventListener('click', function () {
    var field = document.getElementById(button.getAttribute('data-copy'));
    field.select();
    var done = function () { button.textContent = 'Copied'; };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand('copy'); done(); });
    } else {
      document.execCommand('copy');
      done();
    }
  });
});
