// The incidence chart: one line per unit, the values the server computed (percent).
(function () {
  "use strict";
  function draw() {
    var element = document.getElementById("incidence-chart");
    if (!element || !window.echarts) return;
    var data = JSON.parse(element.dataset.chart);
    var chart = echarts.init(element);
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + " %"; } },
      legend: { type: "scroll", top: 0 },
      grid: { top: 40, left: 40, right: 16, bottom: 30 },
      xAxis: { type: "category", data: data.dates.map(function (d) { return d.slice(0, 4); }) },
      yAxis: { type: "value", axisLabel: { formatter: "{value} %" } },
      series: data.series.map(function (s) { return { name: s.name, type: "line", data: s.data, connectNulls: false }; }),
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
  document.addEventListener("htmx:afterSettle", draw);
})();
