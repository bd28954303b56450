/*
 * Small enhancements of the applicant's pages; everything works without them.
 * 1. Conditional questions (data-show-if-field / data-show-if-equals) are hidden until they apply,
 *    with the same rule as the server: a ticked box counts as "yes", an unticked one as "no".
 * 2. A form marked data-submit-once cannot be sent twice by a double click (the server is idempotent anyway).
 */
(function () {
  "use strict";

  function valueOf(form, name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < inputs.length; i += 1) {
      var input = inputs[i];
      if (input.type === "checkbox") {
        return input.checked ? "yes" : "no";
      }
      if (input.type === "radio") {
        if (input.checked) {
          return input.value;
        }
        continue;
      }
      return input.value;
    }
    return "";
  }

  function refresh(form) {
    var conditional = form.querySelectorAll("[data-show-if-field]");
    for (var i = 0; i < conditional.length; i += 1) {
      var input = conditional[i];
      var wrapper = input.closest(".field") || input;
      var shown = valueOf(form, input.getAttribute("data-show-if-field")) === input.getAttribute("data-show-if-equals");
      wrapper.hidden = !shown;
    }
  }

  function setUp() {
    var forms = document.querySelectorAll("form[data-conditional]");
    for (var i = 0; i < forms.length; i += 1) {
      (function (form) {
        form.addEventListener("change", function () { refresh(form); });
        form.addEventListener("input", function () { refresh(form); });
        refresh(form);
      })(forms[i]);
    }
    var once = document.querySelectorAll("form[data-submit-once]");
    for (var j = 0; j < once.length; j += 1) {
      once[j].addEventListener("submit", function (event) {
        var form = event.currentTarget;
        if (form.getAttribute("data-sent") === "1") {
          event.preventDefault();
          return;
        }
        form.setAttribute("data-sent", "1");
        var buttons = form.querySelectorAll("button[type=submit]");
        for (var k = 0; k < buttons.length; k += 1) {
          buttons[k].setAttribute("aria-disabled", "true");
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
