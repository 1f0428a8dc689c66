#!/usr/bin/env bash
# Post the lineage review body as ONE comment per pull/merge request: update our earlier
# comment (found by the marker lineage_review.py puts in the body), else create it.
#
#   post_comment.sh github BODY_FILE   # needs GH_TOKEN, GITHUB_REPOSITORY, PR_NUMBER; uses gh
#   post_comment.sh gitlab BODY_FILE   # needs GITLAB_TOKEN (api scope), CI_API_V4_URL,
#                                      # CI_PROJECT_ID, CI_MERGE_REQUEST_IID; uses curl
#
# Not exercised by the test suite (it needs the platforms); lineage_review.py find-comment is.
set -euo pipefail

platform=${1:?usage: post_comment.sh github|gitlab BODY_FILE}
body=${2:?usage: post_comment.sh github|gitlab BODY_FILE}
here=$(cd "$(dirname "$0")" && pwd)
find_comment() { python3 "$here/lineage_review.py" find-comment; }

case "$platform" in
github)
    : "${GITHUB_REPOSITORY:?}" "${PR_NUMBER:?}"
    id=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" | find_comment)
    if [ -n "$id" ]; then
        gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" \
            -F "body=@$body" >/dev/null
    else
        gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" \
            -F "body=@$body" >/dev/null
    fi
    ;;
gitlab)
    : "${GITLAB_TOKEN:?}" "${CI_API_V4_URL:?}" "${CI_PROJECT_ID:?}" "${CI_MERGE_REQUEST_IID:?}"
    notes="$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"
    auth="PRIVATE-TOKEN: $GITLAB_TOKEN"
    id=""
    for page in $(seq 1 20); do
        listed=$(curl --fail --silent --show-error --header "$auth" \
            "$notes?per_page=100&page=$page&sort=asc")
        id=$(printf '%s' "$listed" | find_comment)
        if [ -n "$id" ] || [ "$listed" = "[]" ]; then break; fi
    done
    if [ -n "$id" ]; then
        curl --fail --silent --show-error --header "$auth" --request PUT \
            --data-urlencode "body@$body" "$notes/$id" >/dev/null
    else
        curl --fail --silent --show-error --header "$auth" --request POST \
            --data-urlencode "body@$body" "$notes" >/dev/null
    fi
    ;;
*)
    echo "post_comment.sh: unknown platform $platform (github or gitlab)" >&2
    exit 2
    ;;
esac
