-- The init.lua of the Neovim test (tests/tests/neovim.rs): a user's set-up,
-- with the module loaded from editors/neovim. The test passes the paths in
-- the environment.
vim.opt.runtimepath:prepend(vim.env.BZLS_NEOVIM_DIR)

require('bzls').setup({
  cmd = { vim.env.BZLS_TEST_BIN, 'serve' },
  settings = {
    -- Only the fixture's rc files, never the machine's.
    rc = { systemRc = false, homeRc = false },
    -- The target code lenses run `echo` in place of Bazel.
    bazel = { path = 'echo' },
    -- buildifier 8.2.1 from the test cache, when the test has it.
    buildifier = { path = vim.env.BZLS_TEST_BUILDIFIER },
  },
})
