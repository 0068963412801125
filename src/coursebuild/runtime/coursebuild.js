/* runtime: see issue 3 */
