/** Page numbers (from 1) to SQL limit/offset, and back into the page envelope of list responses. */
export interface PageRequest {
  page: number;
  limit: number;
}

export const pageWindow = ({ page, limit }: PageRequest) => ({ limit, offset: (page - 1) * limit });

export const pageBody = <T>(items: T[], { page, limit }: PageRequest, total: number) => ({ items, page, limit, total });
