{#- The coverage ledger, typed: one row per window read to its end, per scope, per run. -#}
with landed as (

    {{ openai_audit_select_source('audit_log_reads') | indent(4) }}

)

select
    organization,
    run_id,
    scope,
    window_start,
    window_end,
    events,
    ids_sha256,
    pages,
    filtered,
    read_at,
    _sdc_extracted_at
from landed
