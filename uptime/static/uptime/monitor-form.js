/* The monitor form follows its kind select: only the chosen kind's fields show, the URL's
 * placeholder and help give that kind's form of target, and an untouched failure threshold
 * shows the kind's default.
 *
 * Progressive enhancement: the server renders every field, each group marked with
 * data-kinds="<kinds it is for>", and the server applies the same defaults, so the form
 * works the same without this script. Hidden fields are still submitted (nothing typed is
 * lost by trying another kind), and a group holding a server-side error always shows.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-monitor-form]");
  var kindsData = document.getElementById("monitor-kinds");
  if (!form || !kindsData) return;
  var kinds = JSON.parse(kindsData.textContent);
  var kindSelect = form.querySelector('select[name="kind"]');
  if (!kindSelect) return;
  var url = form.querySelector('input[name="url"]');
  var urlHelp = url && url.closest(".field").querySelector(".help");
  var threshold = form.querySelector('input[name="failure_threshold"]');
  var intervalLabel = form.querySelector('label[for="id_interval_seconds"]');

  function follow(kind) {
    var ui = kinds[kind] || {};
    form.querySelectorAll("[data-kinds]").forEach(function (group) {
      var forKind = group.getAttribute("data-kinds").split(" ").indexOf(kind) !== -1;
      group.hidden = !forKind && !group.querySelector(".has-error");
    });
    if (url && ui.url_placeholder !== undefined) {
      url.placeholder = ui.url_placeholder;
      if (urlHelp) urlHelp.textContent = ui.url_help;
    }
    if (intervalLabel && ui.interval_label) intervalLabel.textContent = ui.interval_label;
    // An empty threshold on a new monitor means the kind's default; say which.
    if (threshold && threshold.value === "" && ui.failure_threshold) {
      threshold.placeholder = String(ui.failure_threshold);
    }
  }

  kindSelect.addEventListener("change", function () { follow(kindSelect.value); });
  follow(kindSelect.value);
})();
