// Reading the portfolio API: one typed fetch that never throws, so a page can say what went wrong.
import type { MaybeRefOrGetter } from 'vue'
import type { components } from '~/types/portfolio-api'

type Schemas = components['schemas']
export type Repository = Schemas['Repository']
export type RepositoryDetail = Schemas['RepositoryDetail']
export type RepositoryPage = Schemas['RepositoryPage']
export type LanguageTotals = Schemas['LanguageTotals']
export type OwnerList = Schemas['OwnerList']
export type Owner = Schemas['Owner']
export type Release = Schemas['Release']

/** What one request to the API came to: the body, or the reason there is none. */
export type ApiResult<T> =
  | { state: 'ok'; data: T }
  | { state: 'not-synced'; message: string } // 503 not_synced: the first sync has not finished
  | { state: 'unavailable'; message: string } // any other 503: the API's database does not answer
  | { state: 'not-found'; message: string }
  | { state: 'unreachable'; message: string } // no answer at all: down, wrong URL, timeout
  | { state: 'failed'; status: number; message: string }

/** The HTTP status a page shows for a failed API request: the API's 503 and 404 pass through, no answer is 502. */
export function pageStatus(result: ApiResult<unknown>): number {
  switch (result.state) {
    case 'ok':
      return 200
    case 'not-synced':
    case 'unavailable':
      return 503
    case 'not-found':
      return 404
    case 'unreachable':
      return 502
    case 'failed':
      return result.status >= 500 ? 502 : result.status
  }
}

type Query = Record<string, string | number | boolean | undefined>

async function request<T>(base: string, path: string, query: Query): Promise<ApiResult<T>> {
  let response
  try {
    response = await $fetch.raw<T>(path, {
      baseURL: base,
      query: definedOnly(query),
      retry: 0,
      timeout: 10_000,
      ignoreResponseError: true,
    })
  } catch {
    return { state: 'unreachable', message: `The portfolio API at ${base} cannot be reached right now.` }
  }
  if (response.ok) return { state: 'ok', data: response._data as T }
  const error = (response._data as { error?: { code?: string; message?: string } } | undefined)?.error
  const message = error?.message ?? `${response.status} ${response.statusText}`
  if (response.status === 503 && error?.code === 'not_synced') return { state: 'not-synced', message }
  if (response.status === 503) return { state: 'unavailable', message }
  if (response.status === 404) return { state: 'not-found', message }
  return { state: 'failed', status: response.status, message }
}

/**
 * `path` of the API (NUXT_PUBLIC_PORTFOLIO_API), fetched during server rendering and again in the
 * browser when `query` changes. On the server, a failure of the page's main request (`setsStatus`)
 * becomes the page's own HTTP status.
 */
export async function usePortfolioApi<T>(
  path: MaybeRefOrGetter<string>,
  query: MaybeRefOrGetter<Query> = {},
  { setsStatus = true } = {},
) {
  const base = useRuntimeConfig().public.portfolioApi
  const event = useRequestEvent()
  const key = computed(() => `${toValue(path)}?${new URLSearchParams(definedOnly(toValue(query))).toString()}`)
  const { data } = await useAsyncData(key, () => request<T>(base, toValue(path), toValue(query)))
  const result = computed<ApiResult<T>>(
    () => data.value ?? { state: 'unreachable', message: `The portfolio API at ${base} cannot be reached right now.` },
  )
  if (event && setsStatus && result.value.state !== 'ok') setResponseStatus(event, pageStatus(result.value))
  return result
}

function definedOnly(query: Query): Record<string, string> {
  return Object.fromEntries(
    Object.entries(query)
      .filter(([, value]) => value !== undefined && value !== '')
      .map(([name, value]) => [name, String(value)]),
  )
}
