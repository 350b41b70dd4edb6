#!/bin/bash

__sou_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__sou_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__sou_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__sou_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_sou() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __sou_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    search|show|index|add|delete|merge|tokenize|stats|check|bench|watch|help)
        # Offer subcommand argument completions
        "_sou_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'search show index add delete merge tokenize stats check bench watch help' -- "${cur}"))
        ;;
    esac
}

_sou_search() {
    repeating_flags=()
    non_repeating_flags=(--no-cache --hidden --type-list --no-join-lines --fold-variants -c --count -l --files --files-with-matches -0 --null -q --quiet --json --vimgrep --explain --version -h --help)
    repeating_options=(-e -t --type -T --type-not -g --glob)
    non_repeating_options=(-i --index --encoding -n --limit --offset -A --after-context -B --before-context -C --context --k1 --b --color -m --max-lines -M --max-columns --batch)
    __sou_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-e')
        return
        ;;
    '-i'|'--index')
        return
        ;;
    '-t'|'--type')
        return
        ;;
    '-T'|'--type-not')
        return
        ;;
    '-g'|'--glob')
        return
        ;;
    '--encoding')
        return
        ;;
    '-n'|'--limit')
        return
        ;;
    '--offset')
        return
        ;;
    '-A'|'--after-context')
        return
        ;;
    '-B'|'--before-context')
        return
        ;;
    '-C'|'--context')
        return
        ;;
    '--k1')
        return
        ;;
    '--b')
        return
        ;;
    '--color')
        __sou_add_completions -W 'auto'$'\n''always'$'\n''never'
        return
        ;;
    '-m'|'--max-lines')
        return
        ;;
    '-M'|'--max-columns')
        return
        ;;
    '--batch')
        return
        ;;
    esac
}

_sou_show() {
    repeating_flags=()
    non_repeating_flags=(-N --line-number --version -h --help)
    repeating_options=()
    non_repeating_options=(-i --index --lines)
    __sou_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '-i'|'--index')
        return
        ;;
    '--lines')
        return
        ;;
    esac
}

_sou_index() {
    repeating_flags=()
    non_repeating_flags=(--jsonl --rebuild --wait --no-store --force --quiet --json --hidden --verbose -v --no-join-lines --fold-variants --version -h --help)
    repeating_options=(--text-field -t --type -T --type-not -g --glob)
    non_repeating_options=(--output -o --id-field --title-field --jobs --memory --merge-factor --encoding)
    __sou_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--output'|'-o')
        return
        ;;
    '--id-field')
        return
        ;;
    '--text-field')
        return
        ;;
    '--title-field')
        return
        ;;
    '--jobs')
        return
        ;;
    '--memory')
        return
        ;;
    '--merge-factor')
        return
        ;;
    '--encoding')
        return
        ;;
    '-t'|'--type')
        return
        ;;
    '-T'|'--type-not')
        return
        ;;
    '-g'|'--glob')
        return
        ;;
    esac
}

_sou_add() {
    repeating_flags=()
    non_repeating_flags=(--wait --jsonl --quiet --version -h --help)
    repeating_options=(--text-field)
    non_repeating_options=(-i --index --merge-factor --id-field --title-field --jobs --memory)
    __sou_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-i'|'--index')
        return
        ;;
    '--merge-factor')
        return
        ;;
    '--id-field')
        return
        ;;
    '--text-field')
        return
        ;;
    '--title-field')
        return
        ;;
    '--jobs')
        return
        ;;
    '--memory')
        return
        ;;
    esac
}

_sou_delete() {
    repeating_flags=()
    non_repeating_flags=(--wait --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(-i --index --merge-factor --keys-from)
    __sou_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-i'|'--index')
        return
        ;;
    '--merge-factor')
        return
        ;;
    '--keys-from')
        return
        ;;
    esac
}

_sou_merge() {
    repeating_flags=()
    non_repeating_flags=(--wait --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--max-segments --jobs -j)
    __sou_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--max-segments')
        return
        ;;
    '--jobs'|'-j')
        return
        ;;
    esac
}

_sou_tokenize() {
    repeating_flags=()
    non_repeating_flags=(--json --no-join-lines --fold-variants --version -h --help)
    repeating_options=()
    non_repeating_options=(--file --encoding)
    __sou_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--file')
        return
        ;;
    '--encoding')
        return
        ;;
    esac
}

_sou_stats() {
    repeating_flags=()
    non_repeating_flags=(--json --open-time --version -h --help)
    repeating_options=()
    non_repeating_options=()
    __sou_offer_flags_options 1
}

_sou_check() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __sou_offer_flags_options 1
}

_sou_bench() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __sou_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    index|search|tokenize)
        # Offer subcommand argument completions
        "_sou_bench_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'index search tokenize' -- "${cur}"))
        ;;
    esac
}

_sou_bench_index() {
    repeating_flags=()
    non_repeating_flags=(--json --jsonl --hidden --no-store --no-join-lines --fold-variants --version -h --help)
    repeating_options=(--text-field)
    non_repeating_options=(--runs --jobs --scale --baseline --max-regression --id-field --title-field --memory)
    __sou_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--runs')
        return
        ;;
    '--jobs')
        return
        ;;
    '--scale')
        return
        ;;
    '--baseline')
        return
        ;;
    '--max-regression')
        return
        ;;
    '--id-field')
        return
        ;;
    '--text-field')
        return
        ;;
    '--title-field')
        return
        ;;
    '--memory')
        return
        ;;
    esac
}

_sou_bench_search() {
    repeating_flags=()
    non_repeating_flags=(--snippets --json --version -h --help)
    repeating_options=()
    non_repeating_options=(--queries --runs -n --limit)
    __sou_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--queries')
        return
        ;;
    '--runs')
        return
        ;;
    '-n'|'--limit')
        return
        ;;
    esac
}

_sou_bench_tokenize() {
    repeating_flags=()
    non_repeating_flags=(--no-join-lines --fold-variants --version -h --help)
    repeating_options=()
    non_repeating_options=(--runs)
    __sou_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--runs')
        return
        ;;
    esac
}

_sou_watch() {
    repeating_flags=()
    non_repeating_flags=(--hidden --no-join-lines --fold-variants -v --verbose --version -h --help)
    repeating_options=(-t --type -T --type-not -g --glob)
    non_repeating_options=(--encoding)
    __sou_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-t'|'--type')
        return
        ;;
    '-T'|'--type-not')
        return
        ;;
    '-g'|'--glob')
        return
        ;;
    '--encoding')
        return
        ;;
    esac
}

_sou_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __sou_offer_flags_options -1
}

complete -o filenames -F _sou sou
