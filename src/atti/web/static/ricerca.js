// Shorter, shareable URLs: empty fields are left out of the search's GET parameters.
// Without JavaScript the form sends them empty, which the server reads as "no filter".
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches || !form.matches("form.search")) return;
  Array.prototype.forEach.call(form.elements, function (field) {
    if (field.name && field.value === "") field.disabled = true;
  });
  // Re-enabled at once, so that going back in history finds the form as it was.
  setTimeout(function () {
    Array.prototype.forEach.call(form.elements, function (field) { field.disabled = false; });
  }, 0);
});
