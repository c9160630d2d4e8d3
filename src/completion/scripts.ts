/**
 * Shell scripts for `kubectl svcgw completion SHELL`. kubectl ≥ 1.26 completes `kubectl svcgw …`
 * itself (with its own completion loaded) by running kubectl_complete-svcgw from PATH; each
 * script puts the one shipped with the plugin on PATH when none is found there (krew links only
 * kubectl-svcgw into its bin), and completes `kubectl-svcgw …` typed directly, through the same
 * program and cobra's protocol (candidates, then ":directive"; 2 = no space, 4 = no files).
 */
export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const
export type Shell = (typeof SHELLS)[number]

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

export function completionScript(shell: Shell, dir: string | undefined): string {
  switch (shell) {
    case 'bash':
    case 'zsh':
      return [
        `# kubectl svcgw completion for ${shell}: add  source <(kubectl svcgw completion ${shell})  to ~/.${shell}rc`,
        ...(dir ? [`command -v kubectl_complete-svcgw >/dev/null 2>&1 || export PATH="$PATH:"${quote(dir)}`] : []),
        ...(shell === 'zsh' ? ['autoload -U +X bashcompinit && bashcompinit'] : []),
        '_kubectl_svcgw() {',
        '  local out directive line',
        '  out=$(kubectl_complete-svcgw "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return',
        '  directive=${out##*:}; out=${out%:*}',
        '  COMPREPLY=()',
        "  while IFS= read -r line; do [ -n \"$line\" ] && COMPREPLY+=(\"${line%%$'\\t'*}\"); done <<<\"$out\"",
        '  if [ ${#COMPREPLY[@]} -eq 0 ] && [ $((directive & 4)) -eq 0 ]; then COMPREPLY=($(compgen -f -- "${COMP_WORDS[COMP_CWORD]}")); fi',
        '  if [ $((directive & 2)) -ne 0 ]; then compopt -o nospace 2>/dev/null; fi',
        '}',
        'complete -F _kubectl_svcgw kubectl-svcgw',
        '',
      ].join('\n')
    case 'fish':
      return [
        '# kubectl svcgw completion for fish: kubectl svcgw completion fish | source',
        ...(dir ? [`command -q kubectl_complete-svcgw; or set -gx PATH $PATH ${quote(dir)}`] : []),
        'function __kubectl_svcgw_complete',
        '  set -l args (commandline -opc)[2..-1] (commandline -ct)',
        '  kubectl_complete-svcgw $args 2>/dev/null | string match -v -r "^:"',
        'end',
        'complete -c kubectl-svcgw -f -a "(__kubectl_svcgw_complete)"',
        '',
      ].join('\n')
    case 'powershell':
      return [
        '# kubectl svcgw completion for PowerShell: kubectl svcgw completion powershell | Out-String | Invoke-Expression',
        ...(dir ? [`if (-not (Get-Command kubectl_complete-svcgw -ErrorAction SilentlyContinue)) { $env:PATH += [IO.Path]::PathSeparator + '${dir.replaceAll("'", "''")}' }`] : []),
        'Register-ArgumentCompleter -Native -CommandName kubectl-svcgw -ScriptBlock {',
        '  param($wordToComplete, $commandAst, $cursorPosition)',
        '  $words = @($commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })',
        "  if ($wordToComplete -eq '') { $words += '\"\"' }",
        '  kubectl_complete-svcgw @words 2>$null | Where-Object { $_ -notlike ":*" } | ForEach-Object {',
        "    $value, $description = $_ -split \"`t\", 2",
        '    [System.Management.Automation.CompletionResult]::new($value, $value, "ParameterValue", $(if ($description) { $description } else { $value }))',
        '  }',
        '}',
        '',
      ].join('\n')
  }
}
