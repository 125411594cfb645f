// Links from the data go into href only as http(s) URLs: a `javascript:` homepage must never become a link.

/** `url` when it is an http(s) URL (a bare host like GitHub's blog field gets https://), else undefined. */
export function safeHref(url: string | null | undefined): string | undefined {
  if (!url) return undefined
  const candidate = /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : `https://${url}`
  try {
    const parsed = new URL(candidate)
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined
  } catch {
    return undefined
  }
}

/** A date-time from the API as a short date, the same on the server and in the browser. */
export function shortDate(timestamp: string | null | undefined): string {
  return timestamp ? timestamp.slice(0, 10) : ''
}
