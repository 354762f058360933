/* The desk's small enhancements; every page works without them. No libraries. */
(function () {
  "use strict";
  var csrf = function (form) { var f = form && form.querySelector("input[name=csrf_token]"); return f ? f.value : ""; };
  var $ = function (selector, root) { return (root || document).querySelector(selector); };
  var $$ = function (selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); };
  var esc = function (text) { var d = document.createElement("div"); d.textContent = text == null ? "" : String(text); return d.innerHTML; };

  /* The bell: the unread count, then each new notification as it arrives (server-sent events). */
  function bell() {
    var count = $("[data-unread]");
    if (!count || !document.body.hasAttribute("data-signed-in") || !window.EventSource) { return; }
    var set = function (n) { count.textContent = n > 0 ? String(n) : ""; };
    fetch("/notifications/unread-count", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { set(data.unread); } })
      .catch(function () {});
    var source = new EventSource("/notifications/stream");
    source.addEventListener("open", function () { document.body.setAttribute("data-live", "1"); });
    source.addEventListener("notification", function (event) {
      var note = JSON.parse(event.data);
      set((parseInt(count.textContent, 10) || 0) + 1);
      var toast = $("[data-toast]");
      if (!toast) { return; }
      var href = note.item ? "/" + (note.item.type === "file" ? "files" : "receipts") + "/" + note.item.id : "/notifications";
      toast.innerHTML = '<a href="' + esc(href) + '">' + esc(note.title) + "</a>";
      toast.hidden = false;
      document.dispatchEvent(new CustomEvent("desk:notification", { detail: note }));
      window.setTimeout(function () { toast.hidden = true; }, 15000);
    });
  }

  /* Diarise: several scans by drag and drop, sent with a progress bar; errors beside their fields. */
  function upload(form) {
    var input = $("input[type=file]", form), zone = $("[data-dropzone]", form), list = $("[data-chosen]", form);
    var progress = $("[data-progress]", form), chosen = [];
    var show = function () {
      list.innerHTML = chosen.map(function (f) { return "<li>" + esc(f.name) + " (" + Math.round(f.size / 1024) + " KB)</li>"; }).join("");
    };
    var add = function (files) { Array.prototype.forEach.call(files, function (f) { chosen.push(f); }); show(); };
    input.addEventListener("change", function () { chosen = []; add(input.files); });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) { add(e.dataTransfer.files); });

    var clearErrors = function () {
      $$(".error[data-js]", form).forEach(function (p) { p.remove(); });
      $$("[aria-invalid]", form).forEach(function (el) { el.removeAttribute("aria-invalid"); el.closest(".field").classList.remove("invalid"); });
      $("[data-form-error]", form).innerHTML = "";
    };
    var showErrors = function (answer) {
      var first = null;
      Object.keys(answer.fields || {}).forEach(function (name) {
        var el = form.elements[name] || (name === "scans" ? input : null);
        if (!el || !el.closest) { return; }
        var p = document.createElement("p");
        p.className = "error"; p.id = "e-" + name; p.setAttribute("data-js", ""); p.textContent = answer.fields[name];
        el.closest(".field").appendChild(p);
        el.closest(".field").classList.add("invalid");
        el.setAttribute("aria-invalid", "true");
        el.setAttribute("aria-describedby", p.id);
        first = first || el;
      });
      if (first) { first.focus(); } else {
        $("[data-form-error]", form).innerHTML = '<p class="error banner" role="alert">' + esc(answer.message) + "</p>";
      }
    };
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors();
      var data = new FormData(form);
      data.delete("scans");
      chosen.forEach(function (f) { data.append("scans", f, f.name); });
      var action = event.submitter && event.submitter.name === "action" ? event.submitter.value : "generate";
      data.set("action", action);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));  // form.action would be the buttons named "action"
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRF-Token", csrf(form));
      progress.hidden = false; progress.value = 0;
      xhr.upload.addEventListener("progress", function (e) { if (e.lengthComputable) { progress.value = Math.round(100 * e.loaded / e.total); } });
      xhr.addEventListener("load", function () {
        var answer = {};
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = { message: xhr.statusText }; }
        if (xhr.status === 201 && action === "generate_copy") {
          progress.hidden = true;
          ["subject", "letter_number", "letter_date", "enclosures", "remarks"].forEach(function (n) { if (form.elements[n]) { form.elements[n].value = ""; } });
          chosen = []; input.value = ""; show();
          $("[data-form-error]", form).innerHTML = '<p class="flash" role="status"><a href="/receipts/' + esc(answer.receipt.id) + '">' + esc(answer.receipt.receipt_number) + "</a> ✓</p>";
          form.elements.subject.focus();
        } else if (xhr.status === 201) {
          window.location.href = answer.location;
        } else {
          progress.hidden = true;
          showErrors(answer);
        }
      });
      xhr.addEventListener("error", function () { progress.hidden = true; showErrors({ message: form.getAttribute("data-network-error") || "Network error" }); });
      xhr.send(data);
    });
  }

  /* Bulk diarisation: every letter's scans in one upload, with a progress bar; the answer replaces the page. */
  function bulkUpload(form) {
    var progress = $("[data-progress]", form);
    form.addEventListener("submit", function (e) {
      if (!window.FormData || !window.DOMParser) { return; }
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (p) {
        if (p.lengthComputable) { progress.hidden = false; progress.value = Math.round(100 * p.loaded / p.total); }
      });
      xhr.addEventListener("load", function () {
        if (xhr.status < 300 && xhr.responseURL && xhr.responseURL.indexOf("/diarise/bulk") !== -1) { window.location = xhr.responseURL; return; }
        var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var main = $("main"), answered = $("main", page);
        if (main && answered) { main.innerHTML = answered.innerHTML; $$("[data-bulk-upload]").forEach(bulkUpload); }
      });
      xhr.addEventListener("error", function () { progress.hidden = true; form.submit(); });
      xhr.send(new FormData(form));
    });
  }

  /* Send dialog: find an officer by name or designation as one types. */
  function peopleSearch(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var many = list.getAttribute("data-multiple") === "1", timer = null, last = "";
    var render = function (people) {
      var checked = $$("input:checked", list).map(function (el) { var li = el.closest("li"); el.setAttribute("checked", ""); return { id: el.value, html: li.innerHTML, elsewhere: li.className }; });
      var seen = {};
      var all = checked.concat(people.map(function (p) {
        return { id: p.id, elsewhere: p.own_district ? "" : "elsewhere",
                 html: '<label><input type="' + (many ? "checkbox" : "radio") + '" name="to" value="' + esc(p.id) + '"> <span>' + esc(p.label) + "<br><small>" + esc(p.place) + "</small>" +
                       (p.away_text ? '<br><small class="away" data-away="' + esc(p.id) + '">' + esc(p.away_text) + "</small>" : "") + "</span></label>" };
      }));
      list.innerHTML = all.filter(function (p) { if (seen[p.id]) { return false; } seen[p.id] = true; return true; }).map(function (p) {
        return '<li class="' + p.elsewhere + '">' + p.html + "</li>";
      }).join("");
    };
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var q = input.value.trim();
        if (q === last || q.length < 2) { return; }
        last = q;
        fetch("/people?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { people: [] }; })
          .then(function (data) { if (input.value.trim() === q) { render(data.people); } })
          .catch(function () {});
      }, 250);
    });
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); var f = $("input", list); if (f) { f.focus(); } } });
  }

  /* Diarise and issue forms: the office's correspondents matching what is typed in a name (dak folds
     Hindi spelling variants, which the browser's own datalist filter would not); choosing one fills the
     sender's (or the addressee's) other fields. Without this the datalist still offers the regular ones. */
  var ADDRESS_FIELDS = {
    sender: function (c) {
      return { sender_name: c.name, sender_designation: c.designation, sender_organisation: c.organisation, sender_address: c.address,
               sender_state: c.state, sender_pincode: c.pincode, sender_email: c.email, sender_mobile: c.mobile };
    },
    recipient: function (c) {
      return { recipient_name: c.name, recipient_email: c.email,
               recipient_address: [c.designation, c.organisation, c.address, c.state, c.pincode].filter(Boolean).join(", ") };
    }
  };

  function addressBook(input) {
    var fieldsOf = ADDRESS_FIELDS[input.getAttribute("data-address-book")], form = input.form;
    if (!fieldsOf || !form) { return; }
    input.removeAttribute("list");
    var list = document.createElement("ul"), timer = null, last = "";
    list.className = "suggestions";
    list.id = input.id + "-suggestions";
    list.hidden = true;
    list.setAttribute("data-suggestions", "");
    list.setAttribute("aria-live", "polite");
    input.setAttribute("aria-controls", list.id);
    input.parentNode.insertBefore(list, input.nextSibling);
    var fill = function (correspondent) {
      var values = fieldsOf(correspondent);
      Object.keys(values).forEach(function (name) {
        var field = form.elements[name];
        if (field && values[name]) { field.value = values[name]; }
      });
      list.hidden = true;
      list.innerHTML = "";
      input.focus();
    };
    var render = function (found) {
      list.innerHTML = "";
      found.forEach(function (c) {
        var item = document.createElement("li"), button = document.createElement("button");
        button.type = "button";
        button.textContent = c.name + (c.organisation ? " — " + c.organisation : "");
        button.addEventListener("click", function () { fill(c); });
        item.appendChild(button);
        list.appendChild(item);
      });
      list.hidden = found.length === 0;
    };
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var q = input.value.trim();
        if (q === last) { return; }
        last = q;
        if (q.length < 2) { render([]); return; }
        fetch("/address-book?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { correspondents: [] }; })
          .then(function (data) { if (input.value.trim() === q) { render(data.correspondents); } })
          .catch(function () {});
      }, 250);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { list.hidden = true; }
      if (e.key === "ArrowDown") { var b = $("button", list); if (b && !list.hidden) { e.preventDefault(); b.focus(); } }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bell();
    $$("[data-upload-form]").forEach(upload);
    $$("[data-people-search]").forEach(peopleSearch);
    $$("[data-bulk-upload]").forEach(bulkUpload);
    $$("[data-address-book]").forEach(addressBook);
  });
})();
