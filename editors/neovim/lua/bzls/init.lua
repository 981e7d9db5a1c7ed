--- bzls for Neovim: the Bazel language server, with file type detection for
--- Bazel files (a `bazelrc` file type included) and a picker for the active
--- `--config`.
---
--- Works on Neovim 0.7 to 0.10 (`vim.lsp.start_client`, or `vim.lsp.start`
--- from 0.8) and on 0.11+ (`vim.lsp.config` + `vim.lsp.enable`). No plugin
--- is needed. In init.lua, with this folder (editors/neovim) on
--- 'runtimepath':
---
---   require('bzls').setup({
---     settings = { configs = { 'ci' } },   -- the bzls.* settings
---   })
---
--- Commands:
---   :BzlsPickConfig          choose the active config from the workspace's
---                            rc files (vim.ui.select)
---   :BzlsSetConfigs [NAME…]  set the active configs directly (none: clear)
---   :BzlsRestart             restart the servers (keeping the chosen configs)
---
--- See editors/neovim/README.md for every option.

local M = {}

--- The defaults of `setup()`.
M.defaults = {
  --- The server command. A missing binary is reported once, not raised.
  cmd = { 'bzls', 'serve' },
  --- The file types bzls serves.
  filetypes = { 'bzl', 'starlark', 'bazelrc' },
  --- A file's workspace is the nearest directory holding one of these.
  root_markers = { 'MODULE.bazel', 'REPO.bazel', 'WORKSPACE', 'WORKSPACE.bazel' },
  --- The `bzls.*` settings, without the prefix (as in VS Code):
  ---   command = 'build',           the Bazel command of the active config
  ---   configs = { 'ci' },          the active --config names
  ---   flags = { '--copt=-O2' },    extra flags of the active config
  ---   rc = { systemRc = true, homeRc = true },
  ---   bazel = { path = nil, allowRun = false },
  --- Sent as initializationOptions and with workspace/didChangeConfiguration.
  settings = {},
  --- Add the Bazel file types (and `bazelrc`) to Neovim's detection.
  detect_filetypes = true,
  --- Create :BzlsPickConfig, :BzlsSetConfigs and :BzlsRestart.
  commands = true,
  --- Passed on to the client: function(client, bufnr).
  on_attach = nil,
  --- Passed on to the client (e.g. from a completion plugin).
  capabilities = nil,
}

--- The options `setup()` was called with, merged over the defaults.
M.options = nil

local NAME = 'bzls'
local LIST_CONFIGS = 'bzls/listConfigs'
local SET_ACTIVE_CONFIG = 'bzls.setActiveConfig'

local function has(version)
  return vim.fn.has('nvim-' .. version) == 1
end

--- Scheduled: an error message written from inside an autocommand (0.7)
--- would abort it with an error trace.
local function notify(message, level)
  vim.schedule(function()
    vim.notify('bzls: ' .. message, level or vim.log.levels.INFO)
  end)
end

-- ---------------------------------------------------------------------------
-- File types

--- How Neovim's own detection (filetype.lua, 0.8+) names Bazel files, plus
--- what it lacks: `bazelrc`, and on 0.7 `*.star` and `WORKSPACE.bzlmod`.
M.filetype_rules = {
  extension = {
    bzl = 'bzl',
    bazel = 'bzl', -- BUILD.bazel, MODULE.bazel, REPO.bazel, WORKSPACE.bazel
    BUILD = 'bzl', -- foo.BUILD
    star = 'starlark',
    starlark = 'starlark',
    sky = 'starlark',
    bazelrc = 'bazelrc', -- user.bazelrc, ci.bazelrc
  },
  filename = {
    BUILD = 'bzl',
    WORKSPACE = 'bzl',
    ['WORKSPACE.bzlmod'] = 'bzl',
    ['.bazelrc'] = 'bazelrc',
    ['bazel.rc'] = 'bazelrc',
  },
}

--- Autocommand patterns for Neovim 0.7, whose filetype.vim knows neither
--- `bazelrc` nor `*.star`: the same rules as `M.filetype_rules`.
local function legacy_patterns()
  local patterns = {}
  for ext, ft in pairs(M.filetype_rules.extension) do
    table.insert(patterns, { '*.' .. ext, ft })
  end
  for name, ft in pairs(M.filetype_rules.filename) do
    table.insert(patterns, { name, ft })
  end
  return patterns
end

local function add_filetypes(group)
  if vim.filetype and vim.filetype.add then
    vim.filetype.add(M.filetype_rules)
  end
  if not has('0.8') then
    -- 0.7 detects with filetype.vim unless g:do_filetype_lua is set.
    for _, rule in ipairs(legacy_patterns()) do
      local pattern, ft = rule[1], rule[2]
      vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
        group = group,
        pattern = pattern,
        callback = function(args)
          if vim.bo[args.buf].filetype ~= ft then
            vim.bo[args.buf].filetype = ft
          end
        end,
      })
    end
  end
end

-- ---------------------------------------------------------------------------
-- Starting the client

local warned_missing = false

--- Whether the server binary can run; says so once when it cannot.
local function executable()
  local cmd = M.options.cmd
  if vim.fn.executable(cmd[1]) == 1 then
    return true
  end
  if not warned_missing then
    warned_missing = true
    notify(
      string.format("`%s` is not an executable; install bzls or set cmd in setup()", cmd[1]),
      -- A warning: an error message would also set v:errmsg. One line, so
      -- that Neovim does not stop at a hit-enter prompt.
      vim.log.levels.WARN
    )
  end
  return false
end

--- The nearest ancestor directory of the buffer's file holding a root
--- marker, or nil.
function M.find_root(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or name:match('^%a[%w+.-]*://') then
    return nil
  end
  local dir = vim.fn.fnamemodify(name, ':p:h')
  while true do
    for _, marker in ipairs(M.options.root_markers) do
      if vim.loop.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      return nil
    end
    dir = parent
  end
end

--- The `bzls` settings a new client starts with (a copy).
local function current_settings()
  return vim.deepcopy(M.options.settings)
end

--- Fills in the settings when a client starts, so that a client started
--- after :BzlsPickConfig (a restart, another workspace) gets the choice.
local function before_init(params, config)
  local settings = current_settings()
  params.initializationOptions = { bzls = settings }
  -- The client keeps this very table (client.config.settings, and on 0.11
  -- client.settings) and sends it with workspace/didChangeConfiguration.
  config.settings = config.settings or {}
  config.settings.bzls = vim.deepcopy(settings)
end

--- The client configuration shared by every Neovim version.
local function client_config()
  return {
    name = NAME,
    cmd = M.options.cmd,
    settings = {},
    before_init = before_init,
    on_attach = M.options.on_attach,
    capabilities = M.options.capabilities,
  }
end

local legacy_clients = {} -- 0.7: client id by root directory

--- Neovim 0.7 to 0.10: starts (or reuses) the client of the buffer's
--- workspace and attaches the buffer.
local function start(bufnr)
  if vim.bo[bufnr].buftype ~= '' or not executable() then
    return
  end
  local root = M.find_root(bufnr)
  local config = client_config()
  config.root_dir = root
  if vim.lsp.start then
    vim.lsp.start(config, { bufnr = bufnr })
    return
  end
  local key = root or ''
  local id = legacy_clients[key]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or client.is_stopped() then
    id = vim.lsp.start_client(config)
    legacy_clients[key] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

local function enable_legacy(group)
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.options.filetypes,
    callback = function(args)
      start(args.buf)
    end,
  })
  -- Buffers opened before setup().
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(M.options.filetypes, vim.bo[bufnr].filetype) then
      start(bufnr)
    end
  end
end

local native = false -- whether vim.lsp.enable starts the clients

--- Starts bzls for a buffer again (after :BzlsRestart).
local function restart_buffer(bufnr)
  if native then
    -- What vim.lsp.enable does for the buffers open before it.
    local ok = pcall(vim.api.nvim_exec_autocmds, 'FileType', { group = 'nvim.lsp.enable', buffer = bufnr })
    if not ok then
      vim.lsp.enable(NAME)
    end
  else
    start(bufnr)
  end
end

--- Neovim 0.11+: vim.lsp.config + vim.lsp.enable.
local function enable_native(group)
  local config = client_config()
  config.filetypes = M.options.filetypes
  config.root_markers = M.options.root_markers
  vim.lsp.config(NAME, config)
  vim.lsp.enable(NAME)
  native = true
  -- vim.lsp.enable only writes a missing binary to the LSP log: say it.
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.options.filetypes,
    callback = function(args)
      if vim.bo[args.buf].buftype == '' then
        executable()
      end
    end,
  })
end

-- ---------------------------------------------------------------------------
-- Talking to a running client

local function request(client, method, params, handler, bufnr)
  if has('0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function client_notify(client, method, params)
  if has('0.11') then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

--- The running bzls clients, those attached to `bufnr` when given.
function M.clients(bufnr)
  local all
  if vim.lsp.get_clients then
    all = vim.lsp.get_clients()
  else
    all = vim.lsp.get_active_clients()
  end
  local found = {}
  for _, client in pairs(all) do
    if client.name == NAME and (bufnr == nil or vim.lsp.buf_is_attached(bufnr, client.id)) then
      table.insert(found, client)
    end
  end
  return found
end

--- The client for a command run in `bufnr`: the one attached to it, else
--- the only one running. Returns the client and whether it is attached.
local function command_client(bufnr)
  local attached = M.clients(bufnr)
  if #attached > 0 then
    return attached[1], true
  end
  local all = M.clients()
  if #all == 1 then
    return all[1], false
  end
  if #all == 0 then
    notify('the language server is not running (open a Bazel file first)', vim.log.levels.WARN)
  else
    notify('several bzls servers run; use the command in a file of the workspace', vim.log.levels.WARN)
  end
  return nil, false
end

local function error_text(err)
  if type(err) == 'table' then
    return err.message or vim.inspect(err)
  end
  return tostring(err)
end

--- Remembers `configs` as the active configs: in the client's settings (sent
--- to the server with workspace/didChangeConfiguration, so a restart of the
--- server keeps them) and in the settings of clients started later.
local function persist_configs(client, configs)
  M.options.settings.configs = vim.deepcopy(configs)
  local tables = { client.config.settings }
  if client.settings and client.settings ~= client.config.settings then
    table.insert(tables, client.settings)
  end
  for _, settings in ipairs(tables) do
    settings.bzls = settings.bzls or {}
    settings.bzls.configs = vim.deepcopy(configs)
  end
  client_notify(client, 'workspace/didChangeConfiguration', { settings = client.config.settings })
end

--- Makes `configs` (a list of names) the active configs of `client`.
--- `done(active)` is called with the server's new active configuration.
function M.set_configs(client, configs, done)
  local params = { command = SET_ACTIVE_CONFIG, arguments = { { configs = configs } } }
  request(client, 'workspace/executeCommand', params, function(err, active)
    if err then
      notify('cannot set the active config: ' .. error_text(err), vim.log.levels.ERROR)
      return
    end
    persist_configs(client, configs)
    -- The target lenses carry the configuration: fetch them again.
    local bufnr = vim.api.nvim_get_current_buf()
    if vim.lsp.buf_is_attached(bufnr, client.id) then
      pcall(vim.lsp.codelens.refresh)
    end
    local names = (active and active.configs) or configs
    if #names == 0 then
      notify('no active config')
    else
      notify('active config: ' .. table.concat(names, ', '))
    end
    if done then
      done(active)
    end
  end)
end

--- Lists the configs of the workspace: `done(result)` gets the answer of
--- bzls/listConfigs, or nothing happens but a message when it fails.
function M.list_configs(client, bufnr, done)
  local params = vim.empty_dict()
  if bufnr and vim.api.nvim_buf_get_name(bufnr) ~= '' and vim.lsp.buf_is_attached(bufnr, client.id) then
    params = { uri = vim.uri_from_bufnr(bufnr) }
  end
  request(client, LIST_CONFIGS, params, function(err, result)
    if err then
      notify('cannot list the configs: ' .. error_text(err), vim.log.levels.ERROR)
      return
    end
    if type(result) ~= 'table' or type(result.configs) ~= 'table' then
      notify('unexpected answer to ' .. LIST_CONFIGS .. ': ' .. vim.inspect(result), vim.log.levels.ERROR)
      return
    end
    done(result)
  end, bufnr)
end

--- One picker line: `name  [build, test]  first line of the description`,
--- with `*` before the active configs.
local function format_item(item)
  if item.none then
    return '(no config)'
  end
  local line = (item.active and '* ' or '  ') .. item.name
  if type(item.commands) == 'table' and #item.commands > 0 then
    line = line .. '  [' .. table.concat(item.commands, ', ') .. ']'
  end
  if type(item.description) == 'string' and item.description ~= '' then
    line = line .. '  ' .. vim.split(item.description, '\n', { plain = true })[1]
  end
  return line
end

--- :BzlsPickConfig — choose the active config with vim.ui.select.
function M.pick_config(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = command_client(bufnr)
  if not client then
    return
  end
  M.list_configs(client, bufnr, function(result)
    local active = {}
    for _, name in ipairs((result.active and result.active.configs) or {}) do
      active[name] = true
    end
    if #result.configs == 0 then
      local where = result.workspace ~= vim.NIL and result.workspace or 'this workspace'
      notify('no --config is defined in the rc files of ' .. tostring(where), vim.log.levels.WARN)
      return
    end
    local items = {}
    if next(active) then
      table.insert(items, { none = true })
    end
    for _, config in ipairs(result.configs) do
      table.insert(items, {
        name = config.name,
        description = config.description ~= vim.NIL and config.description or nil,
        commands = config.commands,
        active = active[config.name] or false,
      })
    end
    vim.ui.select(items, {
      prompt = 'Bazel config:',
      kind = 'bzls.config',
      format_item = format_item,
    }, function(choice)
      if not choice then
        return
      end
      M.set_configs(client, choice.none and {} or { choice.name })
    end)
  end)
end

--- :BzlsSetConfigs NAME… — sets the active configs (none: clears them).
function M.set_configs_command(names, bufnr)
  local client = command_client(bufnr or vim.api.nvim_get_current_buf())
  if client then
    M.set_configs(client, names)
  end
end

--- :BzlsRestart — stops every bzls server and starts one again for each
--- buffer they served, with the current settings (the picked configs
--- included). Waits up to 5 s for the old servers to exit.
function M.restart()
  local buffers, ids = {}, {}
  for _, client in ipairs(M.clients()) do
    table.insert(ids, client.id)
    for _, bufnr in ipairs(vim.lsp.get_buffers_by_client_id(client.id)) do
      buffers[bufnr] = true
    end
  end
  vim.lsp.stop_client(ids)
  local stopped = vim.wait(5000, function()
    for _, id in ipairs(ids) do
      if vim.lsp.get_client_by_id(id) then
        return false
      end
    end
    return true
  end, 20)
  if not stopped then
    vim.lsp.stop_client(ids, true)
  end
  for bufnr in pairs(buffers) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      restart_buffer(bufnr)
    end
  end
end

--- Completion of config names for :BzlsSetConfigs (waits up to 1 s).
local function complete_configs(arg_lead)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.clients(bufnr)[1] or M.clients()[1]
  if not client then
    return {}
  end
  local names, finished = {}, false
  M.list_configs(client, bufnr, function(result)
    for _, config in ipairs(result.configs) do
      if vim.startswith(config.name, arg_lead) then
        table.insert(names, config.name)
      end
    end
    finished = true
  end)
  vim.wait(1000, function()
    return finished
  end, 10)
  return names
end

--- Runs a target lens's Bazel command (`{argv = {...}, cwd = ...}`, as the
--- server sends it) in a terminal buffer in a new window at the bottom.
function M.run_target(target)
  if type(target) ~= 'table' or type(target.argv) ~= 'table' or #target.argv == 0 then
    notify('the code lens did not name a target to run', vim.log.levels.ERROR)
    return
  end
  vim.cmd('botright new')
  local ok, job = pcall(vim.fn.termopen, target.argv, { cwd = target.cwd })
  if not ok or job <= 0 then
    notify('cannot run ' .. table.concat(target.argv, ' ') .. ': ' .. tostring(job), vim.log.levels.ERROR)
  end
end

local function create_commands()
  vim.api.nvim_create_user_command('BzlsPickConfig', function()
    M.pick_config()
  end, { desc = 'bzls: choose the active Bazel --config' })
  vim.api.nvim_create_user_command('BzlsSetConfigs', function(args)
    M.set_configs_command(args.fargs)
  end, {
    nargs = '*',
    complete = complete_configs,
    desc = 'bzls: set the active Bazel --configs (none: clear)',
  })
  vim.api.nvim_create_user_command('BzlsRestart', function()
    M.restart()
  end, { desc = 'bzls: restart the language servers' })
  -- The server's select() code lenses run the client command
  -- `bzls.pickConfig` (run them with vim.lsp.codelens.run()).
  vim.lsp.commands['bzls.pickConfig'] = function(_, ctx)
    M.pick_config(ctx and ctx.bufnr)
  end
  -- Its Build / Test / Run lenses above targets run `bzls.runTarget`.
  vim.lsp.commands['bzls.runTarget'] = function(command)
    M.run_target(command and command.arguments and command.arguments[1])
  end
end

-- ---------------------------------------------------------------------------

--- Sets bzls up: file type detection, the client, the commands. May be
--- called again to change the options.
function M.setup(opts)
  opts = opts or {}
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  -- Lists are options of their own, never merged item by item.
  for _, key in ipairs({ 'cmd', 'filetypes', 'root_markers' }) do
    if opts[key] then
      M.options[key] = opts[key]
    end
  end
  -- Accept the settings with or without the `bzls` level.
  local settings = opts.settings or {}
  M.options.settings = vim.deepcopy(settings.bzls or settings)
  if type(M.options.cmd) == 'string' then
    M.options.cmd = { M.options.cmd }
  end
  warned_missing = false

  local group = vim.api.nvim_create_augroup('bzls', { clear = true })
  if M.options.detect_filetypes then
    add_filetypes(group)
  end
  if M.options.commands then
    create_commands()
  end
  if vim.lsp.config and vim.lsp.enable then
    enable_native(group)
  else
    enable_legacy(group)
  end
end

return M
