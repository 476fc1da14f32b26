// Names as you type: fills the <datalist> of each search box that names a data-suggest URL
// with the names that start with what was typed (from /search/suggest, the search's own
// index). Only an enhancement: without it the boxes are plain search forms.
"use strict";
(function () {
  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var lang = document.documentElement.lang;
    var timer = null;
    var asked = "";
    if (!list) return;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q.length < 2 || q === asked) return;
        asked = q;
        var url = input.dataset.suggest + "?lang=" + encodeURIComponent(lang) +
          "&q=" + encodeURIComponent(q);
        fetch(url, { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (names) {
            list.replaceChildren.apply(list, names.map(function (n) {
              var option = document.createElement("option");
              option.value = n.label;
              return option;
            }));
          })
          .catch(function () {});
      }, 150);
    });
  }
  document.querySelectorAll("input[data-suggest][list]").forEach(attach);
})();
