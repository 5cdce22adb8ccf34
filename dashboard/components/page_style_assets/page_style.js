// Styles only: the element's CSS is the point (page_style.css), nothing to run.
export default function () {}
