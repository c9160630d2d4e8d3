export * from './allocate.js'
export * from './types.js'
export * from './validate.js'
