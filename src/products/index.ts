/**
 * products: everything for sale, one module per product implementing the payments core's Product
 * (fulfil, reverse, restore, receipt lines), with what products share (durations.ts, article-
 * subject.ts).
 */
import type { Product } from '../payments/catalog.js';
import { billboardProduct } from './billboard/product.js';
import { featuredArticleProduct } from './featured-article/product.js';
import { jobListingProduct } from './job-listing/product.js';

/** Everything for sale. A new product is a module here; the payments core does not change. */
export const products: Product[] = [jobListingProduct, billboardProduct, featuredArticleProduct];
