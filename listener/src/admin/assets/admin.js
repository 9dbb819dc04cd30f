// The admin page's only script, served by the listener (the content security policy allows no inline script). The
// page works without it; it only puts the caret of the settings box on the first problem the server reported.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
    const box = document.getElementById('settings-text');
    if (!box || !box.dataset.problemLine) return;
    const line = Number(box.dataset.problemLine);
    const column = Number(box.dataset.problemColumn || '1');
    const lines = box.value.split('\n');
    let offset = 0;
    for (let index = 0; index < line - 1 && index < lines.length; index += 1)
        offset += lines[index].length + 1;
    offset += Math.max(0, column - 1);
    box.focus();
    box.setSelectionRange(offset, offset);
});
