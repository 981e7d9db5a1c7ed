-- Drives Neovim's own LSP client against bzls, loaded through init.lua as a
-- user loads it, and writes what it saw as JSON to $BZLS_TEST_OUT. The Rust
-- side (tests/tests/neovim.rs) writes the fixture and asserts on the JSON.
-- Every wait is bounded; a failure writes {"error": ...} and exits with :cq.
--
-- $BZLS_TEST_MODE:
--   lsp      (default) diagnostics, go-to-definition, completion after
--            --config=, Starlark squiggles, completion, signature help and
--            hover, :BzlsPickConfig, :BzlsSetConfigs, :BzlsRestart
--            keeping the chosen configs, a select() code lens opening
--            the picker, and a Build code lens running in a terminal; in
--            the workspace $BZLS_TEST_WS.
--   missing  the server binary does not exist: the file type of every file
--            in $BZLS_TEST_FTDIR, the messages shown, no error.

local out = assert(vim.env.BZLS_TEST_OUT, '$BZLS_TEST_OUT')
local result = { nvim = tostring(vim.version().major .. '.' .. vim.version().minor .. '.' .. vim.version().patch) }
local notes = {}

-- Keep the messages the module shows (and still show them).
local real_notify = vim.notify
vim.notify = function(message, level, opts)
  table.insert(notes, { message = message, level = level })
  return real_notify(message, level, opts)
end

local function finish(err)
  result.error = err
  result.notifications = notes
  result.errmsg = vim.v.errmsg
  vim.fn.writefile({ vim.fn.json_encode(result) }, out)
  if err then
    vim.cmd('cquit 1')
  else
    vim.cmd('qall!')
  end
end

local function wait(ms, what, condition)
  if not vim.wait(ms, condition, 20) then
    error(string.format('timed out after %d ms waiting for %s', ms, what), 0)
  end
end

--- The bzls clients attached to `bufnr`, through Neovim's API alone.
local function clients(bufnr)
  local all = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  local found = {}
  for _, client in pairs(all) do
    if client.name == 'bzls' and vim.lsp.buf_is_attached(bufnr, client.id) then
      table.insert(found, client)
    end
  end
  return found
end

local function attached(bufnr)
  wait(20000, 'bzls to attach to ' .. vim.api.nvim_buf_get_name(bufnr), function()
    local c = clients(bufnr)[1]
    return c ~= nil and c.initialized
  end)
  return clients(bufnr)[1]
end

local function edit(path)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  return vim.api.nvim_get_current_buf()
end

--- A request through Neovim's client, waited for; its result.
local function request(bufnr, method, params)
  local responses, err = vim.lsp.buf_request_sync(bufnr, method, params, 15000)
  if not responses then
    error(method .. ' failed: ' .. tostring(err), 0)
  end
  for _, response in pairs(responses) do
    if response.err or response.error then
      error(method .. ' answered an error: ' .. vim.inspect(response.err or response.error), 0)
    end
    return response.result
  end
  error(method .. ': no response', 0)
end

local function notes_matching(pattern)
  local found = {}
  for _, note in ipairs(notes) do
    if note.message:find(pattern) then
      table.insert(found, note.message)
    end
  end
  return found
end

local function list_configs(bufnr)
  return request(bufnr, 'bzls/listConfigs', { uri = vim.uri_from_bufnr(bufnr) })
end

local function lsp_mode()
  local ws = assert(vim.env.BZLS_TEST_WS, '$BZLS_TEST_WS')

  -- Diagnostics for the unresolved dep.
  local app = edit(ws .. '/app/BUILD.bazel')
  result.app_filetype = vim.bo[app].filetype
  attached(app)
  wait(30000, 'an unresolved-target diagnostic in app/BUILD.bazel', function()
    for _, d in ipairs(vim.diagnostic.get(app)) do
      if d.code == 'unresolved-target' then
        return true
      end
    end
    return false
  end)
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(app)) do
    table.insert(result.diagnostics, { lnum = d.lnum, col = d.col, code = d.code, message = d.message })
  end

  -- Go to definition on "//lib:util", as a user does: cursor, then
  -- vim.lsp.buf.definition().
  local label = '//lib:util'
  for row, line in ipairs(vim.api.nvim_buf_get_lines(app, 0, -1, false)) do
    local col = line:find(label, 1, true)
    if col then
      result.definition_from = { row, col + 1 } -- on the `/` after the first
      vim.api.nvim_win_set_cursor(0, { row, col + 1 })
      break
    end
  end
  assert(result.definition_from, label .. ' is not in app/BUILD.bazel')
  vim.lsp.buf.definition()
  wait(15000, 'go-to-definition to leave app/BUILD.bazel', function()
    return vim.api.nvim_get_current_buf() ~= app
  end)
  result.definition = {
    file = vim.api.nvim_buf_get_name(0),
    cursor = vim.api.nvim_win_get_cursor(0), -- {1-based line, 0-based byte column}
  }

  -- Completion after --config= in .bazelrc.
  local rc = edit(ws .. '/.bazelrc')
  result.rc_filetype = vim.bo[rc].filetype
  local client = attached(rc)
  local last = vim.api.nvim_buf_line_count(rc)
  local typed = 'build --config='
  vim.api.nvim_buf_set_lines(rc, last, last, false, { typed })
  -- The position after `=`, where the cursor is in insert mode (the test
  -- stays in normal mode, whose cursor cannot go past the last character).
  local completion = request(rc, 'textDocument/completion', {
    textDocument = { uri = vim.uri_from_bufnr(rc) },
    position = { line = last, character = #typed },
  })
  local items = completion and (completion.items or completion) or {}
  result.completion = {}
  for _, item in ipairs(items) do
    table.insert(result.completion, item.label)
  end
  -- Take the half-typed line out again: `--config=` with no name is an rc
  -- error, which the select() previews below would report.
  vim.api.nvim_buf_set_lines(rc, last, last + 1, false, {})

  -- :BzlsPickConfig, with vim.ui.select answered by the test: the item whose
  -- text starts with the name in $BZLS_TEST_PICK.
  local pick = assert(vim.env.BZLS_TEST_PICK, '$BZLS_TEST_PICK')
  -- Each call of the picker is recorded in result.pickers.
  result.pickers = {}
  -- Several code lenses on a line: vim.lsp.codelens.run() asks which; the
  -- test takes the first whose title holds `lens_pick`.
  local lens_pick = 'select'
  result.lens_menus = {}
  vim.ui.select = function(choices, opts, on_choice)
    local is_lens_menu = opts.prompt and opts.prompt:find('Code lens') ~= nil
    local picker = { prompt = opts.prompt, items = {} }
    table.insert(is_lens_menu and result.lens_menus or result.pickers, picker)
    local chosen
    for i, choice in ipairs(choices) do
      local text = opts.format_item and opts.format_item(choice) or tostring(choice)
      table.insert(picker.items, text)
      local name = text:gsub('^[%s*]+', ''):match('^(%S+)')
      local wanted = is_lens_menu and text:find(lens_pick, 1, true) or (not is_lens_menu and name == pick)
      if wanted and not chosen then
        chosen = i
      end
    end
    vim.schedule(function()
      on_choice(chosen and choices[chosen], chosen)
    end)
  end
  vim.cmd('BzlsPickConfig')
  wait(15000, 'the message confirming the picked config', function()
    return #notes_matching('active config') > 0
  end)
  result.after_pick = list_configs(rc).active
  result.settings_after_pick = vim.deepcopy(client.config.settings)

  -- :BzlsSetConfigs with several names.
  local set = vim.split(assert(vim.env.BZLS_TEST_SET, '$BZLS_TEST_SET'), ' ', { plain = true })
  local before = #notes_matching('active config')
  vim.cmd('BzlsSetConfigs ' .. table.concat(set, ' '))
  wait(15000, 'the message confirming :BzlsSetConfigs', function()
    return #notes_matching('active config') > before
  end)
  result.after_set = list_configs(rc).active

  -- The command the server's select() code lenses run.
  result.lens_command = type(vim.lsp.commands['bzls.pickConfig'])

  -- Completion of :BzlsSetConfigs's arguments asks the server.
  result.cmdline_completion = vim.fn.getcompletion('BzlsSetConfigs a', 'cmdline')

  -- A config the server rejects (an empty name): a message, no change.
  require('bzls').set_configs_command({ '' }, rc)
  wait(15000, 'the message about the rejected config', function()
    return #notes_matching('cannot set the active config') > 0
  end)
  result.rejected = notes_matching('cannot set the active config')
  result.after_rejected = list_configs(rc).active

  -- :BzlsRestart: the new server starts with the chosen configs, which the
  -- module keeps in the settings it sends.
  local old_id = client.id
  vim.cmd('BzlsRestart')
  local restarted = attached(rc)
  result.restarted = restarted.id ~= old_id and vim.lsp.get_client_by_id(old_id) == nil
  result.after_restart = list_configs(rc).active

  -- A select() code lens, run with vim.lsp.codelens.run(), opens the picker
  -- through the module's bzls.pickConfig command; the choice becomes active.
  local sel = edit(ws .. '/sel/BUILD')
  attached(sel)
  local lenses = {}
  for _ = 1, 40 do
    vim.lsp.codelens.refresh()
    if vim.wait(500, function()
      lenses = vim.lsp.codelens.get(sel)
      return #lenses > 0
    end, 20) then
      break
    end
  end
  if #lenses == 0 then
    error('no code lenses in sel/BUILD after 20 s', 0)
  end
  result.lenses = {}
  for _, lens in ipairs(lenses) do
    table.insert(result.lenses, {
      line = lens.range.start.line,
      title = lens.command and lens.command.title,
      command = lens.command and lens.command.command,
    })
  end
  vim.api.nvim_win_set_cursor(0, { lenses[1].range.start.line + 1, 0 })
  local confirmed = #notes_matching('active config')
  vim.lsp.codelens.run()
  wait(15000, 'the config picked from the code lens', function()
    return #notes_matching('active config') > confirmed
  end)
  result.after_lens = list_configs(sel).active

  -- The Build lens on the same line runs `bazel build` (here `echo`) with
  -- the active configuration in a terminal buffer.
  lens_pick = 'Build'
  vim.api.nvim_set_current_buf(sel)
  -- The module fetched the lenses again after the choice.
  wait(15000, 'the target lenses of the new configuration', function()
    for _, lens in ipairs(vim.lsp.codelens.get(sel)) do
      local args = lens.command and lens.command.arguments
      if args and args[1] and vim.tbl_contains(args[1].argv or {}, '--config=opt') then
        return true
      end
    end
    return false
  end)
  vim.api.nvim_win_set_cursor(0, { lenses[1].range.start.line + 1, 0 })
  vim.lsp.codelens.run()
  local terminal
  wait(15000, 'a terminal running the Build lens', function()
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.bo[bufnr].buftype == 'terminal' then
        local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
        if text:find('//sel:sel', 1, true) then
          terminal = text
          return true
        end
      end
    end
    return false
  end)
  -- Neovim appends "[Process exited 0]" once the command ends; whether the
  -- capture sees it depends on timing.
  result.run_target = vim.trim((terminal:gsub('%[Process exited %d+%]', '')))

  -- Starlark intelligence: squiggles for what Bazel rejects when it loads
  -- the file, attribute completion and signature help in a half-typed
  -- `cc_library(`, hover on a native rule, members after `ctx.`.
  local star = edit(ws .. '/star/BUILD')
  attached(star)
  wait(30000, 'the semantic diagnostics of star/BUILD', function()
    local codes = {}
    for _, d in ipairs(vim.diagnostic.get(star)) do
      codes[d.code] = true
    end
    return codes['undefined-name'] and codes['duplicate-target'] and codes['unknown-attribute']
  end)
  result.star_diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(star)) do
    table.insert(result.star_diagnostics, { lnum = d.lnum, col = d.col, code = d.code, message = d.message, source = d.source })
  end
  local star_uri = vim.uri_from_bufnr(star)
  local n = vim.api.nvim_buf_line_count(star)
  vim.api.nvim_buf_set_lines(star, n, n, false, { 'cc_library(', '    na' })
  local typed_at = { line = n + 1, character = 6 }
  local attrs = request(star, 'textDocument/completion', { textDocument = { uri = star_uri }, position = typed_at })
  result.attr_completion = {}
  for _, item in ipairs(attrs and (attrs.items or attrs) or {}) do
    table.insert(result.attr_completion, item.label)
  end
  vim.api.nvim_buf_set_lines(star, n + 1, n + 2, false, { '    ' })
  local all = request(star, 'textDocument/completion', {
    textDocument = { uri = star_uri },
    position = { line = n + 1, character = 4 },
  })
  result.attr_completion_all = {}
  for _, item in ipairs(all and (all.items or all) or {}) do
    table.insert(result.attr_completion_all, item.label)
  end
  local help = request(star, 'textDocument/signatureHelp', {
    textDocument = { uri = star_uri },
    position = { line = n + 1, character = 4 },
  })
  result.signature = help and help.signatures and help.signatures[1] and help.signatures[1].label
  vim.api.nvim_buf_set_lines(star, n, n + 2, false, {})
  local hover = request(star, 'textDocument/hover', {
    textDocument = { uri = star_uri },
    position = { line = 1, character = 3 }, -- in `cc_library` of line 2
  })
  result.hover = hover and hover.contents and (hover.contents.value or hover.contents) or ''
  local bzl = edit(ws .. '/star/defs.bzl')
  attached(bzl)
  local members = request(bzl, 'textDocument/completion', {
    textDocument = { uri = vim.uri_from_bufnr(bzl) },
    position = { line = 1, character = 8 }, -- after `    ctx.`
    context = { triggerKind = 2, triggerCharacter = '.' },
  })
  result.ctx_completion = {}
  for _, item in ipairs(members and (members.items or members) or {}) do
    table.insert(result.ctx_completion, item.label)
  end

  -- Formatting through the server (buildifier), as a user formats on save.
  if vim.env.BZLS_TEST_BUILDIFIER then
    local fmt = edit(ws .. '/fmt/BUILD')
    attached(fmt)
    if vim.lsp.buf.format then
      vim.lsp.buf.format({ bufnr = fmt, timeout_ms = 15000 })
    else
      vim.lsp.buf.formatting_sync(nil, 15000)
    end
    result.formatted = table.concat(vim.api.nvim_buf_get_lines(fmt, 0, -1, false), '\n') .. '\n'
  end

  -- Rename a target from a label in another package: both buffers change.
  local app_again = edit(ws .. '/app/BUILD.bazel')
  attached(app_again)
  for row, line in ipairs(vim.api.nvim_buf_get_lines(app_again, 0, -1, false)) do
    local col = line:find('//lib:util', 1, true)
    if col then
      vim.api.nvim_win_set_cursor(0, { row, col + 6 }) -- on `util`
      break
    end
  end
  vim.lsp.buf.rename('core')
  local lib_path = ws .. '/lib/BUILD'
  wait(15000, 'the rename to reach both files', function()
    local lib = vim.fn.bufnr(lib_path)
    if lib < 0 or not vim.api.nvim_buf_is_loaded(lib) then
      return false
    end
    local app_text = table.concat(vim.api.nvim_buf_get_lines(app_again, 0, -1, false), '\n')
    local lib_text = table.concat(vim.api.nvim_buf_get_lines(lib, 0, -1, false), '\n')
    return app_text:find('//lib:core', 1, true) ~= nil and lib_text:find('"core"', 1, true) ~= nil
  end)
  result.renamed_app = table.concat(vim.api.nvim_buf_get_lines(app_again, 0, -1, false), '\n')
  result.renamed_lib = table.concat(vim.api.nvim_buf_get_lines(vim.fn.bufnr(lib_path), 0, -1, false), '\n')
end

local function missing_mode()
  local dir = assert(vim.env.BZLS_TEST_FTDIR, '$BZLS_TEST_FTDIR')
  result.filetypes = {}
  for _, name in ipairs(vim.fn.readdir(dir)) do
    local bufnr = edit(dir .. '/' .. name)
    result.filetypes[name] = vim.bo[bufnr].filetype
  end
  wait(5000, 'a message about the missing server', function()
    return #notes > 0
  end)
  vim.cmd('BzlsPickConfig')
  wait(5000, 'a message from :BzlsPickConfig without a server', function()
    return #notes > 1
  end)
  -- Let anything else scheduled show up.
  vim.wait(200, function()
    return false
  end)
  result.clients = #(vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients())
end

local ok, err = xpcall(function()
  if vim.env.BZLS_TEST_MODE == 'missing' then
    missing_mode()
  else
    lsp_mode()
  end
end, debug.traceback)
finish(not ok and err or nil)
