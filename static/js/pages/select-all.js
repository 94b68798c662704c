// "Select all on this page" for a list of checkboxes: shown only when this script runs, so
// without script the page has no control that does nothing.
for (const box of document.querySelectorAll('input[data-select-all]')) {
  const name = box.dataset.selectAll;
  const boxes = () => [...document.querySelectorAll(`input[type=checkbox][name="${name}"]`)];
  const label = document.querySelector(`label[for="${box.id}"]`);
  box.hidden = false;
  if (label) label.hidden = false;
  const sync = () => {
    const all = boxes();
    const on = all.filter((b) => b.checked).length;
    box.checked = all.length > 0 && on === all.length;
    box.indeterminate = on > 0 && on < all.length;
  };
  box.addEventListener('change', () => {
    for (const b of boxes()) b.checked = box.checked;
  });
  for (const b of boxes()) b.addEventListener('change', sync);
  sync();
}
