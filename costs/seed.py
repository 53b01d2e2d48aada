"""The seed README's monthly estimate for ap-northeast-2 ("예상 월간 비용"), kept to compare against."""

from __future__ import annotations

from costs.model import Category

Range = tuple[float, float]

SEED_BASIC_TOTAL: Range = (80, 120)
SEED_BASIC_BY_CATEGORY: dict[Category, Range] = {
    Category.FARGATE: (40, 60),
    Category.LOAD_BALANCER: (20, 25),
    Category.EFS: (5, 10),
    Category.MONITORING: (5, 10),
    Category.NAT: (15, 20),
}
# "With AI reviewer: +$20-50", of which Lambda execution $5-10 and the OpenAI API $15-40 (not an AWS charge).
SEED_AI_REVIEWER_EXTRA: Range = (20, 50)
SEED_AI_REVIEWER_LAMBDA: Range = (5, 10)
SEED_OPENAI_API: Range = (15, 40)


def seed_for(category: Category) -> str:
    """The seed's figure for a category of this stack's lines, as shown beside it."""
    if category is Category.SERVERLESS:
        return f"+{format_range(SEED_AI_REVIEWER_LAMBDA)} (AI reviewer)"
    return format_range(SEED_BASIC_BY_CATEGORY.get(category))


def format_range(value: Range | None) -> str:
    if value is None:
        return "-"
    low, high = value
    return f"${low:,.0f}-{high:,.0f}"
