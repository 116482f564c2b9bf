"""Annual poverty-reduction plans (年度减贫计划), their results, and the bonus and accountability lists."""
